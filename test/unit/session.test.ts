// One run trains in a worker at a time, PPO or behavior cloning; pause holds it, resume and stop release it.
import { describe, expect, it } from 'vitest';
import { claimWorker, releaseWorker, TrainingSession } from '../../src/services/session';

describe('training session', () => {
  it('lets one run have the worker at a time, whichever its kind', async () => {
    const ppo = new TrainingSession('run_a');
    await claimWorker(ppo, 'A PPO run', false);
    await expect(claimWorker(new TrainingSession('run_b'), 'Behavior cloning', false)).rejects.toThrow('A PPO run (run_a) is already training in this tab; stop it first.');
    releaseWorker(ppo);
    const bc = new TrainingSession('run_b');
    await claimWorker(bc, 'Behavior cloning', true);
    releaseWorker(new TrainingSession('run_c')); // not the holder: changes nothing
    await expect(claimWorker(new TrainingSession('run_d'), 'A PPO run', false)).rejects.toThrow('Behavior cloning (run_b)');
    releaseWorker(bc);
  });

  it('holds a paused trainer until resume, and a stop releases it too', async () => {
    const session = new TrainingSession('run_e');
    let paused = 0;
    await session.waitIfPaused(() => { paused++; }); // not paused: returns at once
    expect(paused).toBe(0);
    session.pause();
    const waiting = session.waitIfPaused(() => { paused++; });
    expect(await Promise.race([waiting.then(() => 'went on'), new Promise((r) => setTimeout(() => r('held'), 20))])).toBe('held');
    session.resume();
    await waiting;
    session.pause();
    const again = session.waitIfPaused(() => { paused++; });
    session.stop();
    await again;
    expect([paused, session.stopRequested, session.paused]).toEqual([2, true, false]);
  });
});
