// Errors with stable codes: PBX_ERR_<AREA>_<WHAT>. A code names a situation a caller can act on.
export class PbxError extends Error {
  constructor(readonly code: string, message: string) {
    super(message);
    this.name = 'PbxError';
  }
}
