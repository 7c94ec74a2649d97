// Call parking's numbers: `parking.slots` "71-79" is a range of slot numbers, each dialled to take
// back the call parked in it; digits keep the width written ("701-720").

/** The most slots one range may hold. */
export const MAX_PARKING_SLOTS = 100;

/** The slot numbers of a range "FIRST-LAST"; a string saying what is wrong otherwise. */
export function parkingSlots(range: string): string[] | string {
  const m = /^(\d{1,8})-(\d{1,8})$/.exec(range.trim());
  if (m === null) return `parking slots are a range of numbers such as "71-79", not "${range}"`;
  const first = Number(m[1]);
  const last = Number(m[2]);
  if (last < first) return `the parking range ${range} ends before it starts`;
  if (last - first + 1 > MAX_PARKING_SLOTS) return `the parking range ${range} has more than ${MAX_PARKING_SLOTS} slots`;
  const width = m[1]!.length;
  const slots: string[] = [];
  for (let n = first; n <= last; n++) slots.push(String(n).padStart(width, '0'));
  return slots;
}
