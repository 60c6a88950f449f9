#!/usr/bin/env node
// Entry point of the DHCP server process, run inside the pod's network namespace by process.ts
// (`ip netns exec NS node dist/dhcp/server-main.js --config FILE`). Prints `ready` on stdout once
// every socket is bound, logs JSON lines on stderr, re-reads the config on SIGHUP (keeping the old
// one if the new one is invalid) and exits 0 on SIGTERM/SIGINT. Needs only CAP_NET_BIND_SERVICE:
// it binds sockets and reads sysfs and /proc, and never creates or changes a device.
import { isVirtnetError } from '../errors/virtnet-error.js';
import { readDhcp4ServerConfig } from './config-file.js';
import { Dhcp4Server, type Dhcp4LogRecord } from './server.js';

const LEVELS = { debug: 10, info: 20, warn: 30, error: 40 } as const;

function logger(minLevel: keyof typeof LEVELS): (record: Dhcp4LogRecord) => void {
  return (record) => {
    if (LEVELS[record.level] < LEVELS[minLevel]) return;
    process.stderr.write(`${JSON.stringify({ time: new Date().toISOString(), ...record })}\n`);
  };
}

function usage(message: string): never {
  process.stderr.write(`${JSON.stringify({ level: 'error', event: 'usage', message })}\n`);
  process.stderr.write('usage: server-main --config FILE [--log-level debug|info|warn|error]\n');
  process.exit(2);
}

function parseArgs(argv: string[]): { configPath: string; logLevel: keyof typeof LEVELS } {
  let configPath: string | undefined;
  let logLevel: keyof typeof LEVELS = 'info';
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    const value = argv[i + 1];
    if (arg === '--config' && value !== undefined) {
      configPath = value;
      i++;
    } else if (arg === '--log-level' && value !== undefined && value in LEVELS) {
      logLevel = value as keyof typeof LEVELS;
      i++;
    } else usage(`unexpected argument ${JSON.stringify(arg)}`);
  }
  if (configPath === undefined) usage('--config FILE is required');
  return { configPath, logLevel };
}

async function main(): Promise<void> {
  const { configPath, logLevel } = parseArgs(process.argv.slice(2));
  const log = logger(logLevel);
  const fatal = (err: unknown): never => {
    const detail = isVirtnetError(err) ? err.toJSON() : { code: 'DHCP_FAILED', message: String(err) };
    log({ level: 'error', event: 'fatal', ...detail });
    process.exit(1);
  };
  const config = await readDhcp4ServerConfig(configPath).catch(fatal);
  const server = new Dhcp4Server(config, { log });
  await server.start().catch(fatal);
  log({ level: 'info', event: 'started', pid: process.pid, leases: config.leases.length });
  process.stdout.write('ready\n');

  let reloading = Promise.resolve();
  process.on('SIGHUP', () => {
    reloading = reloading.then(async () => {
      try {
        const next = await readDhcp4ServerConfig(configPath);
        await server.reload(next);
        log({ level: 'info', event: 'reloaded', leases: next.leases.length });
      } catch (err) {
        log({ level: 'error', event: 'reload-failed', ...(isVirtnetError(err) ? err.toJSON() : { message: String(err) }) });
      }
    });
  });
  const shutdown = (signal: string): void => {
    void reloading.then(async () => {
      await server.stop();
      log({ level: 'info', event: 'stopped', signal, stats: server.stats() });
      process.exit(0);
    });
  };
  process.on('SIGTERM', () => shutdown('SIGTERM'));
  process.on('SIGINT', () => shutdown('SIGINT'));
}

void main();
