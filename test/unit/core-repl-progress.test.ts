import { Timestamp } from 'mongodb';
import { describe, expect, it } from 'vitest';
import { BoundedQueue } from '../../engine/core/repl/bounded-queue.js';
import { progressOf } from '../../engine/core/repl/progress.js';
import { justBefore } from '../../engine/core/repl/times.js';

const at = (t: number, i: number) => new Timestamp({ t, i });

describe('progressOf', () => {
  it('resumes at the oldest uncommitted event and claims only what is before it', () => {
    const progress = progressOf(at(100, 0), at(120, 4), at(110, 2));
    expect(progress.resumePoint).toEqual(at(110, 2));
    expect(progress.lastReplicated).toEqual(at(110, 1));
  });

  it('moves both to how far the stream was read when every applier is idle', () => {
    const progress = progressOf(at(100, 0), at(120, 4), undefined);
    expect(progress.resumePoint).toEqual(at(120, 4));
    expect(progress.lastReplicated).toEqual(at(120, 4));
  });

  it('never resumes before where the run started, and claims nothing before anything was read', () => {
    const progress = progressOf(at(100, 5), undefined, undefined);
    expect(progress.resumePoint).toEqual(at(100, 5));
    expect(progress.lastReplicated).toBeUndefined();
    expect(progressOf(at(100, 5), justBefore(at(100, 5)), undefined).resumePoint).toEqual(at(100, 5));
  });
});

describe('justBefore', () => {
  it('steps back one increment, or to the last increment of the previous second', () => {
    expect(justBefore(at(10, 3))).toEqual(at(10, 2));
    expect(justBefore(at(10, 0))).toEqual(at(9, 0xffffffff));
  });
});

describe('BoundedQueue', () => {
  it('holds a putter back while the queue is full and lets it in once the taker makes room', async () => {
    const queue = new BoundedQueue<string>(3);
    await queue.put('a', 2);
    let second = false;
    const putting = queue.put('b', 2).then(() => (second = true));
    await Promise.resolve();
    expect(second).toBe(false);
    expect(await queue.take()).toBe('a');
    await putting;
    expect(second).toBe(true);
    expect(queue.depth).toBe(2);
  });

  it('lets an item heavier than the capacity into an empty queue, and drains after close', async () => {
    const queue = new BoundedQueue<string>(2);
    await queue.put('big', 10);
    queue.close();
    expect(await queue.put('late', 1)).toBe(false);
    expect(await queue.take()).toBe('big');
    expect(await queue.take()).toBeUndefined();
  });
});
