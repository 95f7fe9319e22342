/**
 * The console's only way to data: the documented API routes (docs/query-api.md), same origin.
 * Errors come back as the API gives them: `{error: {code, message, …}}`.
 */

/** An answer the API refused, with its code and message as the API wrote them. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly body: unknown,
  ) {
    super(message);
  }
}

/** GET or POST a route and parse its JSON; a non-2xx answer throws {@link ApiError}. */
export async function api<T>(path: string, body?: unknown): Promise<{ status: number; data: T }> {
  const response = await fetch(path, {
    method: body === undefined ? 'GET' : 'POST',
    headers: body === undefined ? {} : { 'content-type': 'application/json' },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  const text = await response.text();
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch {
    throw new ApiError(
      response.status,
      'not_json',
      `HTTP ${response.status}: ${text.slice(0, 200)}`,
      text,
    );
  }
  if (!response.ok) {
    const error = (data as { error?: { code?: string; message?: string } }).error;
    throw new ApiError(
      response.status,
      error?.code ?? 'error',
      error?.message ?? `HTTP ${response.status}`,
      data,
    );
  }
  return { status: response.status, data: data as T };
}

/** Bytes in decimal units, as Athena bills them. */
export function bytes(n: number): string {
  const units = ['B', 'kB', 'MB', 'GB', 'TB'];
  let value = n;
  let unit = 0;
  while (value >= 1000 && unit < units.length - 1) {
    value /= 1000;
    unit++;
  }
  return unit === 0 ? `${n} B` : `${value.toFixed(value >= 100 ? 0 : 1)} ${units[unit]}`;
}

/** Dollars: two significant digits for small amounts, cents otherwise. */
export function usd(cost: number): string {
  if (cost === 0) return '$0';
  const decimals = Math.min(20, Math.max(2, 1 - Math.floor(Math.log10(Math.abs(cost)))));
  return `$${cost.toFixed(decimals)}`;
}

/** Milliseconds for people. */
export function duration(ms: number): string {
  return ms < 1000
    ? `${Math.round(ms)} ms`
    : ms < 120_000
      ? `${(ms / 1000).toFixed(1)} s`
      : `${(ms / 60_000).toFixed(1)} min`;
}
