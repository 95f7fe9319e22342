/**
 * The Thermocline console: coverage, runs, cost, query and catalog, over the documented API
 * routes only (so the same page can be served in front of API Gateway later). Bundled by esbuild
 * in memory by the local API server (core/adapters/local/console-bundle.ts).
 */
import { render } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import 'uplot/dist/uPlot.min.css';
import './style.css';
import { CoverageView } from './coverage';
import { CatalogView, CostView, QueryView, RunsView } from './views';

const VIEWS = {
  coverage: { title: 'Coverage', view: CoverageView },
  runs: { title: 'Runs', view: RunsView },
  cost: { title: 'Cost', view: CostView },
  query: { title: 'Query', view: QueryView },
  catalog: { title: 'Catalog', view: CatalogView },
} as const;
type ViewName = keyof typeof VIEWS;

function current(): ViewName {
  const name = location.hash.replace(/^#/, '').split('?')[0] ?? '';
  return name in VIEWS ? (name as ViewName) : 'coverage';
}

function App() {
  const [view, setView] = useState<ViewName>(current());
  useEffect(() => {
    const onHash = () => setView(current());
    window.addEventListener('hashchange', onHash);
    return () => window.removeEventListener('hashchange', onHash);
  }, []);
  const View = VIEWS[view].view;
  return (
    <>
      <header>
        <strong>Thermocline</strong>
        <nav>
          {(Object.keys(VIEWS) as ViewName[]).map((name) => (
            <a
              key={name}
              href={`#${name}`}
              class={name === view ? 'active' : ''}
              data-testid={`nav-${name}`}
            >
              {VIEWS[name].title}
            </a>
          ))}
        </nav>
      </header>
      <main>
        <View />
      </main>
    </>
  );
}

const root = document.getElementById('app');
if (root) render(<App />, root);
