export class PbxError extends Error {
  constructor(readonly code: string, message: string) {
    super(message);
  }
}
