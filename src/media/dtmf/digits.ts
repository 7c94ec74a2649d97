// DTMF digits and the RFC 4733 event codes that carry them (RFC 4733 3.2, Table 3: events 0-9,
// * = 10, # = 11, A-D = 12-15), shared by the RFC 4733, in-band and SIP INFO paths.

/** How a digit reached the PBX. */
export type DtmfMethod = 'rfc4733' | 'inband' | 'info';

/** The digit of each event code 0-15; the strings are constants, so handing one out allocates nothing. */
export const DTMF_DIGITS: readonly string[] = ['0', '1', '2', '3', '4', '5', '6', '7', '8', '9', '*', '#', 'A', 'B', 'C', 'D'];

/** The RFC 4733 event code of a digit (A-D in either case), -1 when it is not a DTMF digit. */
export function dtmfEventCode(digit: string): number {
  return digit.length === 1 ? DTMF_DIGITS.indexOf(digit.toUpperCase()) : -1;
}
