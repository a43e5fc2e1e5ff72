import { firstUse } from '../../src/first-use.js';

describe('firstUse', () => {
  test('makes the thing once, on the first call, for every caller', async () => {
    let makes = 0;
    const get = firstUse(async () => ({ n: ++makes }));
    expect(makes).toBe(0);
    const [a, b] = await Promise.all([get(), get()]);
    expect(await get()).toBe(a);
    expect(b).toBe(a);
    expect(makes).toBe(1);
  });

  test('after a failure, the next call makes it again (and the failure reaches the caller)', async () => {
    let makes = 0;
    const get = firstUse(async () => {
      makes++;
      if (makes === 1) throw new Error('first attempt failed');
      return makes;
    });
    await expect(get()).rejects.toThrow('first attempt failed');
    await expect(get()).resolves.toBe(2);
    await expect(get()).resolves.toBe(2);
    expect(makes).toBe(2);
  });
});
