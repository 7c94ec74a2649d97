/** An error with a stable code from the table `PBX_ERR_<AREA>_<WHAT>`. */
export class PbxError extends Error {
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
    this.name = 'PbxError';
  }
}
