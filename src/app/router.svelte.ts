// Hash routing (#/data, #/train, #/runs, #/runs/<run id>, #/runs/compare/<id>,<id>): works from
// any base path, GitHub Pages included.

export type Section = 'data' | 'train' | 'runs';
export const SECTIONS: { id: Section; label: string; key: string }[] = [
  { id: 'data', label: 'Data', key: '1' },
  { id: 'train', label: 'Train', key: '2' },
  { id: 'runs', label: 'Runs', key: '3' },
];

function parse(): { section: Section; rest: string[] } {
  const parts = location.hash.replace(/^#\/?/, '').split('?')[0].split('/').filter(Boolean).map(decodeURIComponent);
  const section = SECTIONS.some((s) => s.id === parts[0]) ? (parts[0] as Section) : 'data';
  return { section, rest: section === parts[0] ? parts.slice(1) : [] };
}

export const route = $state(parse());

if (typeof window !== 'undefined') {
  window.addEventListener('hashchange', () => Object.assign(route, parse()));
}

export function go(section: Section, ...rest: string[]) {
  location.hash = `#/${[section, ...rest].map(encodeURIComponent).join('/')}`;
}
