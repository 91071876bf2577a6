// Workers under the page's own content-security policy. A worker loaded from a URL takes its
// policy from its script's response headers, which a static host such as GitHub Pages does not
// send, so a worker would be free to connect anywhere. A worker loaded from a blob: URL inherits
// the policy of the document that made it: the page starts each worker from a one-line blob that
// imports the real module, so the workers are bound by the page's policy on every host, from the
// first visit, with or without service workers.
export function spawnWorker(scriptUrl: string, name: string): Worker {
  const absolute = new URL(scriptUrl, document.baseURI).href;
  const bootstrap = new Blob([`import ${JSON.stringify(absolute)};\n`], { type: 'text/javascript' });
  return new Worker(URL.createObjectURL(bootstrap), { type: 'module', name });
}
