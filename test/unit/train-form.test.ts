// The Train form's state, mirrored in the page's address: every setting of the chosen algorithm
// and environment goes in and comes back; a link with a bad value says so and uses the default.
import { describe, expect, it } from 'vitest';
import { formQuery, initialFormState, parseFormQuery, requestOf, withEnv, withPreset } from '../../src/app/trainForm';
import { ALGORITHMS } from '../../src/algos/registry';
import { ENVIRONMENTS } from '../../src/core/env/registry';

describe('the Train form in the address', () => {
  it('round-trips every algorithm on every environment it trains on', () => {
    for (const a of ALGORITHMS) {
      for (const e of a.trainsOn.environments ? ENVIRONMENTS : [null]) {
        let state = initialFormState(a.id, { dataset: 'ds-1', backend: 'wasm' });
        if (e) state = withEnv(state, e.id);
        const { state: back, problems } = parseFormQuery(formQuery(state));
        expect(problems).toEqual([]);
        expect(back).toEqual(state);
      }
    }
  });

  it('starts PPO from seed 001\'s moderate preset, and marks the form custom once a value is edited', () => {
    const state = initialFormState('PPO');
    expect(state.preset).toBe('moderate');
    expect(state.envSettings.leverage).toBe(3);
    expect(state.hyperparameters.total_timesteps).toBe(50_000);
    const aggressive = withPreset(state, 'aggressive');
    expect([aggressive.hyperparameters.learning_rate, aggressive.envSettings.leverage]).toEqual([1e-3, 5]);
    expect(parseFormQuery(formQuery({ ...aggressive, preset: 'custom', hyperparameters: { ...aggressive.hyperparameters, learning_rate: 0.002 } })).state.hyperparameters.learning_rate).toBe(0.002);
  });

  it('reads a link written by hand: lists, nullable values, booleans, another environment', () => {
    const { state, problems } = parseFormQuery('algo=PPO&env=trade-approval&preset=custom&n_envs=4&net_arch=64,32&target_kl=off&normalize_observations=false&env.fee=0.0005&backend=cpu');
    expect(problems).toEqual([]);
    expect([state.env, state.hyperparameters.n_envs, state.hyperparameters.net_arch, state.hyperparameters.target_kl, state.hyperparameters.normalize_observations, state.envSettings.fee, state.backend]).toEqual(['trade-approval', 4, [64, 32], null, false, 0.0005, 'cpu']);
    // the trade-approval environment has no leverage: the request carries only its own settings
    expect(requestOf(state).envSettings).not.toHaveProperty('leverage');
    const bc = parseFormQuery('algo=BC&seeds=1,2,3&max_epochs=7');
    expect([bc.state.algorithm, bc.state.hyperparameters.seeds, bc.state.hyperparameters.max_epochs, bc.problems]).toEqual(['BC', [1, 2, 3], 7, []]);
  });

  it('says what it could not use in a link and falls back to the default, never throwing', () => {
    const { state, problems } = parseFormQuery('algo=PPO&learning_rate=fast&n_envs=0&seed=0&env=moon&backend=tpu&preset=wild&frobnicate=1&activation=sigmoid');
    const defaults = initialFormState('PPO');
    expect(state.hyperparameters.learning_rate).toBe(defaults.hyperparameters.learning_rate);
    expect(state.hyperparameters.n_envs).toBe(defaults.hyperparameters.n_envs);
    expect(state.hyperparameters.seed).toBe(defaults.hyperparameters.seed);
    expect(state.hyperparameters.activation).toBe('tanh');
    expect([state.env, state.backend, state.preset]).toEqual([defaults.env, 'auto', 'moderate']);
    const text = problems.join('\n');
    for (const bit of ['learning_rate: "fast" is not a number', 'n_envs: "0"', 'seed: "0"', 'environment "moon"', 'backend "tpu"', 'preset "wild"', '"frobnicate" is not a setting', 'activation: "sigmoid"']) expect(text).toContain(bit);
    expect(parseFormQuery('algo=GRPO!').problems[0]).toMatch(/algorithm "GRPO!" is not one the lab trains/);
  });
});
