// The parking lot: which call waits in which slot (parking.slots). The park app takes the first
// free slot and waits; a phone that dials the slot takes the call out (retrieve); a call that
// ends leaves its slot.
import type { Call } from './call.js';

interface Parked {
  call: Call;
  /** Wakes the park app when the call is taken out. */
  retrieved: () => void;
}

export class ParkingLot {
  readonly #slots = new Map<string, Parked>();

  /**
   * Parks `call` in the first of `slots` that is free; resolves `retrieved` when a phone takes it
   * out. Null when every slot is taken.
   */
  park(call: Call, slots: readonly string[]): { slot: string; retrieved: Promise<void> } | null {
    const slot = slots.find((s) => !this.#slots.has(s));
    if (slot === undefined) return null;
    let wake: () => void = () => undefined;
    const retrieved = new Promise<void>((resolve) => (wake = resolve));
    this.#slots.set(slot, { call, retrieved: wake });
    void call.whenEnded().then(() => this.leave(call));
    return { slot, retrieved };
  }

  /** Takes the call out of `slot` (its park app is woken); null when the slot is empty. */
  retrieve(slot: string): Call | null {
    const parked = this.#slots.get(slot);
    if (parked === undefined) return null;
    this.#slots.delete(slot);
    parked.retrieved();
    return parked.call;
  }

  /** The call leaves its slot (timeout, hang-up). */
  leave(call: Call): void {
    for (const [slot, p] of this.#slots) if (p.call === call) this.#slots.delete(slot);
  }
}
