// Hash routing (#/data, #/train?<settings>, #/runs, #/runs/<run id>, #/runs/compare/<id>,<id>,
// #/models, #/models/<model name>, #/sweeps, #/sweeps/<sweep id>):
// works from any base path, GitHub Pages included. The part after "?" is a section's own state
// (the Train form's settings), so a link reproduces it and the back button restores it.

export type Section = 'data' | 'train' | 'runs' | 'models' | 'sweeps';
export const SECTIONS: { id: Section; label: string; key: string }[] = [
  { id: 'data', label: 'Data', key: '1' },
  { id: 'train', label: 'Train', key: '2' },
  { id: 'runs', label: 'Runs', key: '3' },
  { id: 'models', label: 'Models', key: '4' },
  { id: 'sweeps', label: 'Sweeps', key: '5' },
];

function parse(): { section: Section; rest: string[]; query: string } {
  const [path, ...queryParts] = location.hash.replace(/^#\/?/, '').split('?');
  const parts = path.split('/').filter(Boolean).map(decodeURIComponent);
  const section = SECTIONS.some((s) => s.id === parts[0]) ? (parts[0] as Section) : 'data';
  return { section, rest: section === parts[0] ? parts.slice(1) : [], query: queryParts.join('?') };
}

export const route = $state(parse());

if (typeof window !== 'undefined') {
  // a new address, or the back and forward buttons
  const update = () => Object.assign(route, parse());
  window.addEventListener('hashchange', update);
  window.addEventListener('popstate', update);
}

export function go(section: Section, ...rest: string[]) {
  location.hash = `#/${[section, ...rest].map(encodeURIComponent).join('/')}`;
}

/** Puts a section's state in the address: a new history entry (the back button returns to the old state), or in place of the current one. */
export function setQuery(query: string, mode: 'push' | 'replace'): void {
  if (query === route.query) return;
  const path = location.hash.replace(/^#\/?/, '').split('?')[0];
  const url = `#/${path}${query ? `?${query}` : ''}`;
  if (mode === 'push') history.pushState(null, '', url);
  else history.replaceState(null, '', url);
  route.query = query;
}
