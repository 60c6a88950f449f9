// tcpdump capturing DHCPv4 (UDP 67 and 68) on one interface of a namespace into a pcap file, written
// packet by packet with the kernel's timestamps: what the DHCP tests and the DHCP bench read.
import type { ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import { startProgram } from '../../src/exec/run-program.js';

export interface DhcpCapture {
  /** tcpdump itself, for a caller that tracks what it started. */
  child: ChildProcess;
  /** Resolves once tcpdump listens; rejects when it exits first or has not started within 10 s. */
  listening: Promise<void>;
  /** Stops tcpdump and waits for its exit: the pcap file is complete then. */
  stop(): Promise<void>;
}

export function startDhcpCapture(netns: string, ifname: string, file: string): DhcpCapture {
  const child = startProgram(
    [
      'ip',
      'netns',
      'exec',
      netns,
      'tcpdump',
      '--immediate-mode',
      '-Z',
      'root',
      '-i',
      ifname,
      '-n',
      '-U',
      '-w',
      file,
      'udp port 67 or udp port 68',
    ],
    { stdio: ['ignore', 'ignore', 'pipe'] },
  );
  const listening = new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('tcpdump did not start')), 10_000);
    createInterface({ input: child.stderr! }).on('line', (line) => {
      if (line.includes('listening on')) {
        clearTimeout(timer);
        resolve();
      }
    });
    child.once('exit', () => {
      clearTimeout(timer);
      reject(new Error('tcpdump exited'));
    });
  });
  return {
    child,
    listening,
    async stop() {
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGTERM');
      await exited;
    },
  };
}
