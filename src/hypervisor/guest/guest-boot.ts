// How the embedded runner boots the virtnet guest: its kernel and initramfs with the console on the
// first serial port. Pure.
import { VirtnetError } from '../../errors/virtnet-error.js';
import type { VmBoot } from '../vm-machine.js';
import type { GuestImage } from './build-guest.js';

const HOSTNAME_RE = /^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/i;

/** Kernel boot of `image`; `hostname` and the DHCP wait before READY go on the kernel command line. */
export function guestBoot(
  image: Pick<GuestImage, 'kernelPath' | 'initrdPath'>,
  options: { hostname?: string; dhcpTimeoutSeconds?: number } = {},
): VmBoot {
  const words = ['console=ttyS0', 'quiet', 'panic=-1'];
  if (options.hostname !== undefined) {
    if (!HOSTNAME_RE.test(options.hostname))
      throw new VirtnetError(
        'GUEST_INVALID_HOSTNAME',
        `hostname ${JSON.stringify(options.hostname)} is not a DNS label`,
        { field: 'hostname' },
      );
    words.push(`virtnet.hostname=${options.hostname}`);
  }
  if (options.dhcpTimeoutSeconds !== undefined)
    words.push(`virtnet.dhcp_timeout=${Math.max(1, Math.round(options.dhcpTimeoutSeconds))}`);
  return {
    kind: 'kernel',
    kernelPath: image.kernelPath,
    initrdPath: image.initrdPath,
    cmdline: words.join(' '),
  };
}
