// Hash routing (#/data, #/train, #/runs): works from any base path, GitHub Pages included.

export type Section = 'data' | 'train' | 'runs';
export const SECTIONS: { id: Section; label: string; key: string }[] = [
  { id: 'data', label: 'Data', key: '1' },
  { id: 'train', label: 'Train', key: '2' },
  { id: 'runs', label: 'Runs', key: '3' },
];

function current(): Section {
  const id = location.hash.replace(/^#\/?/, '').split(/[/?]/)[0];
  return SECTIONS.some((s) => s.id === id) ? (id as Section) : 'data';
}

export const route = $state({ section: current() });

if (typeof window !== 'undefined') {
  window.addEventListener('hashchange', () => { route.section = current(); });
}

export function go(section: Section) {
  location.hash = `#/${section}`;
}
