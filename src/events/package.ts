// An event package (RFC 6665 section 7): what a subscription watches and how its state is written
// into a NOTIFY body. message-summary.ts, dialog-package.ts and presence.ts implement it.

/** A body rendered when its NOTIFY goes out, with that subscription's NOTIFY version (RFC 4235 4.1). */
export type NotifyBody = (version: number) => Buffer;

export interface EventPackage {
  /** The Event header token (RFC 6665 7.2). */
  readonly event: string;
  /** The Content-Type of its NOTIFY bodies. */
  readonly contentType: string;
  /**
   * The resource the authenticated `user` subscribes to with Request-URI user `requested`
   * (null when the URI has no user part): the resource key, or the status that refuses it
   * (403 not theirs, 404 no such resource).
   */
  resolve(user: string, requested: string | null): string | number;
  /** The state of a resource now; rendered later, in order, one NOTIFY each. */
  snapshot(resource: string): NotifyBody;
}
