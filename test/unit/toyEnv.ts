// A tiny environment with a known answer, for testing PPO: the observation shows which action pays.
import { Rng } from '../../src/core/rng';
import type { VecEnv } from '../../src/core/env/types';

export interface ToyEpisode { episode: number; reward: number; length: number }

export class SignalEnv implements VecEnv<ToyEpisode> {
  readonly name = 'signal';
  readonly obsSize = 4;
  readonly numActions = 3;
  readonly actionNames = ['a', 'b', 'c'];
  readonly obs: Float32Array;
  readonly rewards: Float32Array;
  /** Each right answer earns 1 % of the balance, so net P&L follows the reward. */
  readonly pnl: Float32Array;
  readonly dones: Uint8Array;
  readonly masks: Uint8Array;
  private rng: Rng;
  private signal: Int32Array;
  private t: Int32Array;
  private total: Float64Array;
  private episodes: ToyEpisode[] = [];
  private count = 0;
  /** Actions forbidden by the mask in every state. */
  constructor(readonly numEnvs: number, seed: number, private readonly length = 16, private readonly forbidden: number[] = []) {
    this.rng = new Rng(seed);
    this.obs = new Float32Array(numEnvs * 4);
    this.rewards = new Float32Array(numEnvs);
    this.pnl = new Float32Array(numEnvs);
    this.dones = new Uint8Array(numEnvs);
    this.masks = new Uint8Array(numEnvs * 3).fill(1);
    for (let i = 0; i < numEnvs; i++) for (const a of forbidden) this.masks[i * 3 + a] = 0;
    this.signal = new Int32Array(numEnvs);
    this.t = new Int32Array(numEnvs);
    this.total = new Float64Array(numEnvs);
  }
  private draw(i: number) {
    const allowed = [0, 1, 2].filter((a) => !this.forbidden.includes(a));
    this.signal[i] = allowed[this.rng.int(allowed.length)];
    for (let k = 0; k < 3; k++) this.obs[i * 4 + k] = k === this.signal[i] ? 1 : 0;
    this.obs[i * 4 + 3] = this.rng.normal();
  }
  reset() {
    for (let i = 0; i < this.numEnvs; i++) { this.t[i] = 0; this.total[i] = 0; this.draw(i); }
  }
  step(actions: ArrayLike<number>) {
    for (let i = 0; i < this.numEnvs; i++) {
      const r = actions[i] === this.signal[i] ? 1 : 0;
      this.rewards[i] = r;
      this.pnl[i] = r / 100;
      this.total[i] += r;
      this.t[i]++;
      this.dones[i] = this.t[i] >= this.length ? 1 : 0;
      if (this.dones[i]) {
        this.episodes.push({ episode: ++this.count, reward: this.total[i], length: this.t[i] });
        this.t[i] = 0;
        this.total[i] = 0;
      }
      this.draw(i);
    }
  }
  startAt(i: number) { this.t[i] = 0; this.total[i] = 0; this.rewards[i] = 0; this.pnl[i] = 0; this.dones[i] = 0; this.draw(i); }
  currentRow(i: number) { return this.t[i]; }
  drainEpisodes() { const e = this.episodes; this.episodes = []; return e; }
  getState() {
    return { rng: this.rng.getState(), signal: Array.from(this.signal), t: Array.from(this.t), total: Array.from(this.total), obs: Array.from(this.obs), count: this.count, episodes: this.episodes.slice() };
  }
  setState(s: unknown) {
    const st = s as ReturnType<SignalEnv['getState']>;
    this.rng.setState(st.rng); this.signal.set(st.signal); this.t.set(st.t); this.total.set(st.total); this.obs.set(st.obs);
    this.count = st.count; this.episodes = st.episodes.slice();
  }
}
