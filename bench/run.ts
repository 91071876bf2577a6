// npm run bench -- <name>: runs one benchmark; its last line of output is one JSON object.
const benches: Record<string, () => Promise<unknown>> = {
  import: async () => (await import('./import')).run(),
  env: async () => (await import('./env')).run(),
  ppo: async () => (await import('./ppo')).run(),
  runs: async () => (await import('./runs')).run(),
  bc: async () => (await import('./bc')).run(),
  funding: async () => (await import('./funding')).run(),
  grpo: async () => (await import('./grpo')).run(),
  pipeline: async () => (await import('./pipeline')).run(),
};

const benchName = process.argv[2];
if (!benchName || !benches[benchName]) {
  console.error(`usage: npm run bench -- <${Object.keys(benches).join('|')}>`);
  process.exit(2);
}
const result = await benches[benchName]();
console.log(JSON.stringify(result));
process.exit(0);

export {};
