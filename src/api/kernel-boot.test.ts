import { test } from 'node:test';
import assert from 'node:assert/strict';
import { kernelBootOf } from './kernel-boot.js';

const withKernelBoot = (kernelBoot: unknown): unknown => ({ domain: { firmware: { kernelBoot } } });

test('kernelBoot: image, paths and arguments; none without it', () => {
  assert.equal(kernelBootOf({ domain: {} }), undefined);
  assert.equal(kernelBootOf(undefined), undefined);
  assert.deepEqual(
    kernelBootOf(
      withKernelBoot({
        kernelArgs: 'console=ttyS0',
        container: { image: 'k:1', kernelPath: '/boot/vmlinuz', initrdPath: '/boot/initrd.img' },
      }),
    ),
    {
      image: 'k:1',
      kernelPath: '/boot/vmlinuz',
      initrdPath: '/boot/initrd.img',
      kernelArgs: 'console=ttyS0',
    },
  );
});

test('kernelBoot errors name the field', () => {
  const field = (kb: unknown): string | undefined => {
    try {
      kernelBootOf(withKernelBoot(kb));
      return undefined;
    } catch (err) {
      return (err as { detail: { field?: string } }).detail.field;
    }
  };
  assert.equal(field({ container: { kernelPath: '/k' } }), 'spec.domain.firmware.kernelBoot.container.image');
  assert.equal(field({ container: { image: 'i' } }), 'spec.domain.firmware.kernelBoot.container.kernelPath');
  assert.equal(
    field({ container: { image: 'i', kernelPath: '../etc/passwd' } }),
    'spec.domain.firmware.kernelBoot.container.kernelPath',
  );
  assert.equal(
    field({ container: { image: 'i', kernelPath: '/a/k', initrdPath: '/b/k' } }),
    'spec.domain.firmware.kernelBoot.container.initrdPath',
  );
  assert.equal(
    field({ kernelArgs: 3, container: { image: 'i', kernelPath: '/k' } }),
    'spec.domain.firmware.kernelBoot.kernelArgs',
  );
});
