import { describe, expect, it } from 'vitest';
import { UploadSlots } from './uploadSlots.js';

describe('UploadSlots', () => {
  it('gives each key its own slots, refuses the one too many, and frees a slot once, when released', () => {
    const slots = new UploadSlots(2);
    const a1 = slots.acquire('key:1');
    const a2 = slots.acquire('key:1');
    expect(a1 && a2).toBeTruthy();
    expect(slots.acquire('key:1')).toBeUndefined();
    expect(slots.acquire('key:2')).toBeDefined();
    a1!();
    a1!();
    expect(slots.inUse('key:1')).toBe(1);
    expect(slots.acquire('key:1')).toBeDefined();
    expect(slots.acquire('key:1')).toBeUndefined();
  });
});
