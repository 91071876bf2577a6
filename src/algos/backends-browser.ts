// Backends for the browser: WebGPU, WebGL (in @tensorflow/tfjs), WASM with its binaries served
// by the site itself (no CDN: the lab makes no network call beyond its own origin), and CPU.
import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-webgpu';
import { setWasmPaths } from '@tensorflow/tfjs-backend-wasm';
import wasmUrl from '@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm.wasm?url';
import wasmSimdUrl from '@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm-simd.wasm?url';
import wasmThreadedUrl from '@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm-threaded-simd.wasm?url';
import type { BackendName } from '../core/run/contracts';

setWasmPaths({
  'tfjs-backend-wasm.wasm': wasmUrl,
  'tfjs-backend-wasm-simd.wasm': wasmSimdUrl,
  'tfjs-backend-wasm-threaded-simd.wasm': wasmThreadedUrl,
});
// WASM threads need cross-origin isolation (SharedArrayBuffer); without it use SIMD alone.
if (!globalThis.crossOriginIsolated) tf.env().set('WASM_HAS_MULTITHREAD_SUPPORT', false);

export const BROWSER_BACKENDS: BackendName[] = ['webgpu', 'webgl', 'wasm', 'cpu'];
