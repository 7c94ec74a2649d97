// Call progress tones: what a caller hears while a call is set up (ringback, busy, congestion,
// dial, call waiting) plus the recording beep and the conference join/leave beeps, per country.
// Values follow ITU-T E.180 (and its supplement 2, the national tones in use) and each country's
// network standard, written in the cadence notation users of Asterisk's indications.conf know:
//   "425/1000,0/4000"   425 Hz for 1 s, silence for 4 s, repeated
//   "400+450/400"       the sum of 400 Hz and 450 Hz for 400 ms
//   "400*25"            400 Hz amplitude-modulated by 25 Hz
//   "425@-10/375"       425 Hz 10 dB below the tone's level for 375 ms
// A segment without a duration sounds for as long as the tone plays (dial tone).
import { PbxError } from '../util/errors.js';

export const TONE_ERRORS = {
  SYNTAX: 'PBX_ERR_MEDIA_TONE_SYNTAX',
  COUNTRY: 'PBX_ERR_MEDIA_TONE_COUNTRY',
} as const;

export interface ToneSegment {
  /** Hz; empty for silence. */
  readonly frequencies: readonly number[];
  /** true: frequencies[0] amplitude-modulated by frequencies[1]; false: their sum. */
  readonly modulated: boolean;
  /** Duration; 0 = for as long as the tone plays. */
  readonly ms: number;
  /** Gain relative to the tone's level. */
  readonly gainDb: number;
}

export interface ToneSpec {
  readonly name: string;
  /** Level of each frequency in dBm0 (G.711: a full-scale sine is +3.17 dBm0). */
  readonly levelDbm0: number;
  /** The cadence repeats until the tone is stopped; false = play the segments once. */
  readonly repeat: boolean;
  readonly segments: readonly ToneSegment[];
}

export interface ToneSet {
  readonly country: string;
  readonly description: string;
  readonly dial: ToneSpec;
  readonly ringback: ToneSpec;
  readonly busy: ToneSpec;
  readonly congestion: ToneSpec;
  readonly callWaiting: ToneSpec;
  /** Before a recording (voicemail, "record after the tone"). */
  readonly beep: ToneSpec;
  /** A party joins a conference: a rising pair of notes. */
  readonly join: ToneSpec;
  /** A party leaves a conference: a falling pair of notes. */
  readonly leave: ToneSpec;
}

const MAX_FREQUENCY = 4000;

/** Parses the cadence notation above. Throws a PbxError on a syntax error. */
export function parseTone(name: string, text: string, o: { levelDbm0?: number; repeat?: boolean } = {}): ToneSpec {
  const bad = (why: string): never => {
    throw new PbxError(TONE_ERRORS.SYNTAX, `tone ${name} "${text}": ${why}`);
  };
  const parts = text.split(',').map((s) => s.trim());
  const segments = parts.map((part): ToneSegment => {
    const m = /^(\d+(?:\.\d+)?)(?:([+*])(\d+(?:\.\d+)?))?(?:@(-?\d+(?:\.\d+)?))?(?:\/(\d+))?$/.exec(part);
    if (m === null) return bad(`bad segment "${part}"; expected FREQ[+FREQ|*FREQ][@DB]/MS, e.g. 400+450/400`);
    const f1 = Number(m[1]);
    const f2 = m[3] === undefined ? null : Number(m[3]);
    const ms = m[5] === undefined ? 0 : Number(m[5]);
    for (const f of [f1, f2]) if (f !== null && f > MAX_FREQUENCY) bad(`${f} Hz is above ${MAX_FREQUENCY} Hz`);
    if (ms === 0 && parts.length > 1) bad(`segment "${part}" needs a duration in a cadence`);
    if (f1 === 0 && f2 !== null) bad(`silence ("0") takes no second frequency`);
    const frequencies = f1 === 0 ? [] : f2 === null ? [f1] : [f1, f2];
    return { frequencies, modulated: m[2] === '*', ms, gainDb: m[4] === undefined ? 0 : Number(m[4]) };
  });
  if (segments.every((s) => s.frequencies.length === 0)) bad('only silence');
  return { name, levelDbm0: o.levelDbm0 ?? -13, repeat: o.repeat ?? true, segments };
}

interface CountryTones {
  description: string;
  dial: string;
  ringback: string;
  busy: string;
  congestion: string;
  callWaiting: string;
}

const COUNTRIES: Record<string, CountryTones> = {
  us: { description: 'United States, Canada (ANSI T1.401)', dial: '350+440', ringback: '440+480/2000,0/4000', busy: '480+620/500,0/500', congestion: '480+620/250,0/250', callWaiting: '440/300,0/9700' },
  uk: { description: 'United Kingdom (SIN 350)', dial: '350+440', ringback: '400+450/400,0/200,400+450/400,0/2000', busy: '400/375,0/375', congestion: '400/400,0/350,400/225,0/525', callWaiting: '400/100,0/4000' },
  de: { description: 'Germany (1TR110)', dial: '425', ringback: '425/1000,0/4000', busy: '425/480,0/480', congestion: '425/240,0/240', callWaiting: '425/200,0/200,425/200,0/5000' },
  eu: { description: 'Europe, CEPT recommendation (ETSI TR 101 041)', dial: '425', ringback: '425/1000,0/4000', busy: '425/500,0/500', congestion: '425/250,0/250', callWaiting: '425/150,0/150,425/150,0/8000' },
  fr: { description: 'France', dial: '440', ringback: '440/1500,0/3500', busy: '440/500,0/500', congestion: '440/250,0/250', callWaiting: '440/300,0/10000' },
  it: { description: 'Italy', dial: '425/200,0/200,425/600,0/1000', ringback: '425/1000,0/4000', busy: '425/500,0/500', congestion: '425/200,0/200', callWaiting: '425/400,0/100,425/250,0/100,425/150,0/14000' },
  es: { description: 'Spain', dial: '425', ringback: '425/1500,0/3000', busy: '425/200,0/200', congestion: '425/200,0/200,425/200,0/200,425/200,0/600', callWaiting: '425/175,0/175,425/175,0/3500' },
  ru: { description: 'Russia (GOST)', dial: '425', ringback: '425/800,0/3200', busy: '425/400,0/400', congestion: '425/200,0/200', callWaiting: '425/200,0/5000' },
  ua: { description: 'Ukraine', dial: '425', ringback: '425/1000,0/4000', busy: '425/350,0/350', congestion: '425/200,0/200', callWaiting: '425/150,0/150,425/150,0/4000' },
  th: { description: 'Thailand', dial: '400*50', ringback: '400/1000,0/4000', busy: '400/500,0/500', congestion: '400/300,0/300', callWaiting: '1000/400,0/10000' },
  au: { description: 'Australia (ACIF S002)', dial: '413+438', ringback: '413+438/400,0/200,413+438/400,0/2000', busy: '425/375,0/375', congestion: '425/375,0/375,425@-10/375,0/375', callWaiting: '425/200,0/200,425/200,0/4400' },
  jp: { description: 'Japan (NTT)', dial: '400', ringback: '400*16/1000,0/2000', busy: '400/500,0/500', congestion: '400/500,0/500', callWaiting: '400*16/500,0/8000' },
  cn: { description: 'China (YD/T)', dial: '450', ringback: '450/1000,0/4000', busy: '450/350,0/350', congestion: '450/700,0/700', callWaiting: '450/400,0/4000' },
  in: { description: 'India', dial: '400*25', ringback: '400*25/400,0/200,400*25/400,0/2000', busy: '400/750,0/750', congestion: '400/250,0/250', callWaiting: '400/200,0/100,400/200,0/7500' },
};

/** Country codes that have a tone set, for config validation. */
export const TONE_COUNTRIES: readonly string[] = Object.keys(COUNTRIES);

const sets = new Map<string, ToneSet>();
for (const [country, c] of Object.entries(COUNTRIES)) {
  sets.set(country, {
    country,
    description: c.description,
    dial: parseTone(`${country}.dial`, c.dial, { levelDbm0: -13 }),
    ringback: parseTone(`${country}.ringback`, c.ringback, { levelDbm0: -16 }),
    busy: parseTone(`${country}.busy`, c.busy, { levelDbm0: -16 }),
    congestion: parseTone(`${country}.congestion`, c.congestion, { levelDbm0: -16 }),
    callWaiting: parseTone(`${country}.callWaiting`, c.callWaiting, { levelDbm0: -16 }),
    beep: parseTone(`${country}.beep`, '1000/250', { levelDbm0: -10, repeat: false }),
    join: parseTone(`${country}.join`, '700/100,0/40,1050/150', { levelDbm0: -13, repeat: false }),
    leave: parseTone(`${country}.leave`, '1050/100,0/40,700/150', { levelDbm0: -13, repeat: false }),
  });
}

/** The tone set of a country code (`us`, `uk`, `de`, ...; case-insensitive). */
export function toneSet(country: string): ToneSet {
  const set = sets.get(country.toLowerCase());
  if (set === undefined) throw new PbxError(TONE_ERRORS.COUNTRY, `no tone set for country "${country}"; known: ${TONE_COUNTRIES.join(', ')}`);
  return set;
}
