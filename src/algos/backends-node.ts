// Backends for Node (the command line and benchmarks): CPU is built in; WASM reads its binary from
// node_modules. No tfjs-node: it downloads a native library at install time.
import { createRequire } from 'node:module';
import { dirname } from 'node:path';
import { setWasmPaths } from '@tensorflow/tfjs-backend-wasm';
import type { BackendName } from '../core/run/contracts';

const require = createRequire(import.meta.url);
setWasmPaths(`${dirname(require.resolve('@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm.wasm'))}/`);

export const NODE_BACKENDS: BackendName[] = ['wasm', 'cpu'];
