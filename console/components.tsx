import type { ComponentChildren } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import { api, ApiError } from './api';

/** Loads a GET route: the data, or the API's error, or null while loading. */
export function useRoute<T>(path: string): {
  data: T | null;
  error: ApiError | null;
  reload: () => void;
} {
  const [data, setData] = useState<T | null>(null);
  const [error, setError] = useState<ApiError | null>(null);
  const [tick, setTick] = useState(0);
  useEffect(() => {
    let live = true;
    setError(null);
    api<T>(path)
      .then((r) => live && setData(r.data))
      .catch(
        (e: unknown) =>
          live && setError(e instanceof ApiError ? e : new ApiError(0, 'network', String(e), null)),
      );
    return () => {
      live = false;
    };
  }, [path, tick]);
  return { data, error, reload: () => setTick((t) => t + 1) };
}

/** The API's error as it gave it. */
export function ErrorBox({ error }: { error: ApiError }) {
  return (
    <div class="error" data-testid="api-error">
      <strong>{error.code}</strong> ({error.status}): {error.message}
    </div>
  );
}

/** A plain table. */
export function Table({
  head,
  rows,
  testid,
}: {
  head: readonly string[];
  rows: readonly (readonly ComponentChildren[])[];
  testid?: string;
}) {
  return (
    <table data-testid={testid}>
      <thead>
        <tr>
          {head.map((h) => (
            <th key={h}>{h}</th>
          ))}
        </tr>
      </thead>
      <tbody>
        {rows.map((row, i) => (
          <tr key={i}>
            {row.map((c, j) => (
              <td key={j}>{c}</td>
            ))}
          </tr>
        ))}
      </tbody>
    </table>
  );
}

/** Loading, error, or the view. */
export function Loaded<T>({
  state,
  children,
}: {
  state: { data: T | null; error: ApiError | null };
  children: (data: T) => ComponentChildren;
}) {
  if (state.error) return <ErrorBox error={state.error} />;
  if (state.data === null) return <p class="muted">Loading…</p>;
  return <>{children(state.data)}</>;
}
