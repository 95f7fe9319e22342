/**
 * A small, fast, seeded pseudo-random number generator for the sample data set.
 *
 * The generator is sfc32 (Chris Doty-Humphrey's Small Fast Counting generator, 128-bit state),
 * seeded from a string key through cyrb128. Only integer arithmetic, `Math.floor` and IEEE
 * multiplications/divisions are used, so a key produces the same sequence on every platform and
 * Node version: the sample checksum depends on it. `Math.random` and the clock are never used.
 */

/** The 256 two-digit lower-case hex strings, indexed by byte value. */
const HEX_BYTE: readonly string[] = Array.from({ length: 256 }, (_, i) =>
  i.toString(16).padStart(2, '0'),
);

function hexByte(value: number): string {
  return HEX_BYTE[value & 0xff] as string;
}

function hex32(value: number): string {
  return (
    hexByte(value >>> 24) + hexByte(value >>> 16) + hexByte(value >>> 8) + hexByte(value & 0xff)
  );
}

function hex16(value: number): string {
  return hexByte(value >>> 8) + hexByte(value & 0xff);
}

/**
 * cyrb128: hashes a string into four 32-bit words, used as the 128-bit sfc32 seed.
 *
 * @param text - any string (the sample uses `${seed}:${table}:${date}` style keys)
 * @returns four unsigned 32-bit integers
 * @example
 * const [a, b, c, d] = cyrb128('42:events:2025-01-15');
 */
export function cyrb128(text: string): [number, number, number, number] {
  let h1 = 1779033703;
  let h2 = 3144134277;
  let h3 = 1013904242;
  let h4 = 2773480762;
  for (let i = 0; i < text.length; i++) {
    const k = text.charCodeAt(i);
    h1 = h2 ^ Math.imul(h1 ^ k, 597399067);
    h2 = h3 ^ Math.imul(h2 ^ k, 2869860233);
    h3 = h4 ^ Math.imul(h3 ^ k, 951274213);
    h4 = h1 ^ Math.imul(h4 ^ k, 2716044179);
  }
  h1 = Math.imul(h3 ^ (h1 >>> 18), 597399067);
  h2 = Math.imul(h4 ^ (h2 >>> 22), 2869860233);
  h3 = Math.imul(h1 ^ (h3 >>> 17), 951274213);
  h4 = Math.imul(h2 ^ (h4 >>> 19), 2716044179);
  h1 ^= h2 ^ h3 ^ h4;
  h2 ^= h1;
  h3 ^= h1;
  h4 ^= h1;
  return [h1 >>> 0, h2 >>> 0, h3 >>> 0, h4 >>> 0];
}

/**
 * A precomputed weighted choice: build it once with {@link weighted}, draw from it with
 * {@link Prng.weighted}.
 */
export interface WeightedTable<T> {
  /** The values, in the order given. */
  readonly values: readonly T[];
  /** Cumulative weights normalised to 1 (the last is exactly 1). */
  readonly cumulative: readonly number[];
}

/**
 * Builds a {@link WeightedTable} from `[value, weight]` pairs (weights need not sum to 1).
 *
 * @throws Error when the list is empty or a weight is negative, not finite, or all are zero.
 * @example
 * const STATUS = weighted([['active', 90], ['suspended', 6], ['closed', 4]]);
 * const status = rng.weighted(STATUS);
 */
export function weighted<T>(entries: ReadonlyArray<readonly [T, number]>): WeightedTable<T> {
  if (entries.length === 0) throw new Error('weighted(): needs at least one [value, weight] pair');
  let total = 0;
  for (const [value, weight] of entries) {
    if (!Number.isFinite(weight) || weight < 0) {
      throw new Error(
        `weighted(): the weight of ${String(value)} is ${weight}; use a finite number >= 0`,
      );
    }
    total += weight;
  }
  if (total <= 0) throw new Error('weighted(): all weights are zero; give one a positive weight');
  const cumulative: number[] = [];
  let running = 0;
  for (const [, weight] of entries) {
    running += weight;
    cumulative.push(running / total);
  }
  cumulative[cumulative.length - 1] = 1;
  return { values: entries.map(([value]) => value), cumulative };
}

/**
 * A seeded sfc32 generator with the helpers the sample generator needs.
 *
 * @example
 * const rng = new Prng('42:events:2025-01-15');
 * rng.int(1, 6); // a die roll, the same for this key every time
 * rng.uuid(); // e.g. '9b2f4c1e-7a3d-4e8b-9c0f-1d2e3f4a5b6c'
 */
export class Prng {
  private a: number;
  private b: number;
  private c: number;
  private d: number;

  /** @param key - the seed string, e.g. `${seed}:${table}:${date}` */
  constructor(key: string) {
    [this.a, this.b, this.c, this.d] = cyrb128(key);
    // Discard the first outputs: they still carry structure from the seed.
    for (let i = 0; i < 12; i++) this.next();
  }

  /** The next unsigned 32-bit integer. */
  next(): number {
    const a = this.a;
    const b = this.b;
    const c = this.c;
    const d = this.d;
    let t = (a + b) | 0;
    this.a = b ^ (b >>> 9);
    this.b = (c + (c << 3)) | 0;
    const rotated = (c << 21) | (c >>> 11);
    this.d = (d + 1) | 0;
    t = (t + this.d) | 0;
    this.c = (rotated + t) | 0;
    return t >>> 0;
  }

  /** A float in [0, 1) with 32 bits of randomness. */
  float(): number {
    return this.next() / 4294967296;
  }

  /** A float in [min, max). */
  between(min: number, max: number): number {
    return min + this.float() * (max - min);
  }

  /**
   * An integer in [min, max], both inclusive (ranges up to 2^32 wide).
   *
   * @example
   * rng.int(1, 3); // 1, 2 or 3
   */
  int(min: number, max: number): number {
    return min + Math.floor(this.float() * (max - min + 1));
  }

  /**
   * A float in [0, 1) skewed towards 0: u^power for an integer power >= 1, by repeated
   * multiplication (exactly reproducible, unlike `**` or `Math.pow`).
   */
  skewedFloat(power: number): number {
    const u = this.float();
    let p = u;
    for (let i = 1; i < power; i++) p *= u;
    return p;
  }

  /** An integer in [0, n) skewed towards 0 ({@link Prng.skewedFloat}): popular members, hot games. */
  skewedIndex(n: number, power = 2): number {
    return Math.floor(this.skewedFloat(power) * n);
  }

  /** True with probability `p` (default 0.5). */
  bool(p = 0.5): boolean {
    return this.float() < p;
  }

  /** Same as {@link Prng.bool}: true with probability `p`; reads better in `if (rng.chance(0.1))`. */
  chance(p: number): boolean {
    return this.float() < p;
  }

  /**
   * A uniformly chosen element.
   *
   * @throws Error when the array is empty.
   */
  pick<T>(values: readonly T[]): T {
    if (values.length === 0) throw new Error('Prng.pick(): the array is empty');
    return values[Math.floor(this.float() * values.length)] as T;
  }

  /** A value from a precomputed {@link WeightedTable}. */
  weighted<T>(table: WeightedTable<T>): T {
    const u = this.float();
    const cumulative = table.cumulative;
    for (let i = 0; i < cumulative.length; i++) {
      if (u < (cumulative[i] as number)) return table.values[i] as T;
    }
    return table.values[table.values.length - 1] as T;
  }

  /** Up to `count` distinct elements of `values`, in draw order. */
  pickDistinct<T>(values: readonly T[], count: number): T[] {
    const pool = values.slice();
    const out: T[] = [];
    const n = Math.min(count, pool.length);
    for (let i = 0; i < n; i++) {
      const j = i + Math.floor(this.float() * (pool.length - i));
      const chosen = pool[j] as T;
      pool[j] = pool[i] as T;
      pool[i] = chosen;
      out.push(chosen);
    }
    return out;
  }

  /** `length` lower-case hex digits. */
  hex(length: number): string {
    let out = '';
    while (out.length < length) out += hex32(this.next());
    return out.slice(0, length);
  }

  /**
   * A version-4-shaped UUID (version nibble 4, RFC 4122 variant) built from 128 PRNG bits.
   *
   * @example
   * rng.uuid(); // 'xxxxxxxx-xxxx-4xxx-[89ab]xxx-xxxxxxxxxxxx'
   */
  uuid(): string {
    const w1 = this.next();
    const w2 = this.next();
    const w3 = this.next();
    const w4 = this.next();
    return (
      hex32(w1) +
      '-' +
      hex16(w2 >>> 16) +
      '-' +
      hex16((w2 & 0x0fff) | 0x4000) +
      '-' +
      hex16(((w3 >>> 16) & 0x3fff) | 0x8000) +
      '-' +
      hex16(w3 & 0xffff) +
      hex32(w4)
    );
  }
}
