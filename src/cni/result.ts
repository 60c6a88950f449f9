// CNI results of every supported version (0.3.0 … 1.1.0): one canonical in-memory form (the 1.1.0
// superset), a validating parser for what plugins print, and an encoder for any target version.
// Validation collects issues as data; nothing here throws mid-walk.
import { ipFamily } from '../api/ip-address.js';
import { checkMacAddress, normaliseMac } from '../api/mac-address.js';
import { isSupportedCniVersion, versionAtLeast } from './cni-version.js';

/** An interface a plugin created or touched (`interfaces[]`). */
export interface CniInterface {
  name: string;
  mac?: string;
  /** 1.1.0 */
  mtu?: number;
  /** Namespace path; absent for host-side interfaces. */
  sandbox?: string;
  /** 1.1.0: vhost-user style socket. */
  socketPath?: string;
  /** 1.1.0: PCI address of a passed-through device. */
  pciID?: string;
}

/** One address (`ips[]`); `interface` indexes `interfaces`. */
export interface CniIpConfig {
  /** CIDR notation, e.g. 10.1.0.5/24. */
  address: string;
  gateway?: string;
  interface?: number;
}

/** One route (`routes[]`); mtu … scope are 1.1.0 fields. */
export interface CniRoute {
  dst: string;
  gw?: string;
  mtu?: number;
  advmss?: number;
  priority?: number;
  table?: number;
  scope?: number;
}

/** DNS settings (`dns`). */
export interface CniDns {
  nameservers?: string[];
  domain?: string;
  search?: string[];
  options?: string[];
}

/** A result in canonical form; `cniVersion` is the version it was produced in. */
export interface CniResult {
  cniVersion: string;
  interfaces?: CniInterface[];
  ips?: CniIpConfig[];
  routes?: CniRoute[];
  dns?: CniDns;
}

/** The error object a plugin prints on failure. */
export interface CniErrorObject {
  cniVersion?: string;
  code: number;
  msg: string;
  details?: string;
}

/** One problem found in plugin output. */
export interface ResultIssue {
  path: string;
  code: 'invalid_type' | 'invalid_value' | 'unsupported_version' | 'out_of_range' | 'missing';
  message: string;
}

export type ParseOutcome = { ok: true; result: CniResult } | { ok: false; issues: ResultIssue[] };

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Splits `a.b.c.d/len` or `v6/len`; returns the family (4|6) or 0 when invalid. */
export function cidrFamily(cidr: string): 0 | 4 | 6 {
  const slash = cidr.lastIndexOf('/');
  if (slash < 0) return 0;
  const addr = cidr.slice(0, slash);
  const lenText = cidr.slice(slash + 1);
  if (!/^\d{1,3}$/.test(lenText)) return 0;
  const fam = ipFamily(addr);
  const len = Number(lenText);
  if (fam === 4 && len <= 32) return 4;
  if (fam === 6 && len <= 128) return 6;
  return 0;
}

/** The address part of a CIDR string. */
export function cidrAddress(cidr: string): string {
  const slash = cidr.lastIndexOf('/');
  return slash < 0 ? cidr : cidr.slice(0, slash);
}

/**
 * Parses and validates a result a plugin printed (or one read from the cache). Every version from
 * 0.3.0 to 1.1.0 is accepted; before 1.0.0 each ip needs a `version` matching its address family.
 */
export function parseResult(raw: unknown): ParseOutcome {
  const issues: ResultIssue[] = [];
  const add = (path: string, code: ResultIssue['code'], message: string) =>
    issues.push({ path, code, message });
  if (!isObject(raw))
    return {
      ok: false,
      issues: [{ path: '', code: 'invalid_type', message: 'result must be a JSON object' }],
    };
  const version = raw.cniVersion;
  if (typeof version !== 'string') add('cniVersion', 'missing', 'cniVersion must be a string');
  else if (!isSupportedCniVersion(version))
    add('cniVersion', 'unsupported_version', `unsupported result version ${version}`);
  const legacy = typeof version === 'string' && !versionAtLeast(version, '1.0.0');
  const result: CniResult = { cniVersion: typeof version === 'string' ? version : '' };

  if (raw.interfaces !== undefined) {
    if (!Array.isArray(raw.interfaces)) add('interfaces', 'invalid_type', 'interfaces must be an array');
    else {
      result.interfaces = [];
      raw.interfaces.forEach((it: unknown, i) => {
        const p = `interfaces[${i}]`;
        if (!isObject(it)) return add(p, 'invalid_type', 'interface must be an object');
        if (typeof it.name !== 'string' || it.name === '')
          add(`${p}.name`, 'missing', 'interface name must be a non-empty string');
        const iface: CniInterface = { name: typeof it.name === 'string' ? it.name : '' };
        if (it.mac !== undefined && it.mac !== '') {
          if (typeof it.mac !== 'string' || checkMacAddress(it.mac) !== undefined)
            add(`${p}.mac`, 'invalid_value', `invalid MAC ${JSON.stringify(it.mac)}`);
          else iface.mac = normaliseMac(it.mac);
        }
        if (it.mtu !== undefined && it.mtu !== 0) {
          if (!Number.isInteger(it.mtu) || (it.mtu as number) < 0)
            add(`${p}.mtu`, 'invalid_value', 'mtu must be a non-negative integer');
          else iface.mtu = it.mtu as number;
        }
        for (const key of ['sandbox', 'socketPath', 'pciID'] as const) {
          const v = it[key];
          if (v === undefined || v === '') continue;
          if (typeof v !== 'string') add(`${p}.${key}`, 'invalid_type', `${key} must be a string`);
          else iface[key] = v;
        }
        result.interfaces!.push(iface);
      });
    }
  }

  if (raw.ips !== undefined) {
    if (!Array.isArray(raw.ips)) add('ips', 'invalid_type', 'ips must be an array');
    else {
      result.ips = [];
      raw.ips.forEach((it: unknown, i) => {
        const p = `ips[${i}]`;
        if (!isObject(it)) return add(p, 'invalid_type', 'ip must be an object');
        const address = typeof it.address === 'string' ? it.address : '';
        const family = cidrFamily(address);
        if (family === 0)
          add(`${p}.address`, 'invalid_value', `invalid CIDR address ${JSON.stringify(it.address)}`);
        if (legacy) {
          if (it.version !== '4' && it.version !== '6')
            add(`${p}.version`, 'missing', 'version must be "4" or "6" before 1.0.0');
          else if (family !== 0 && it.version !== String(family))
            add(`${p}.version`, 'invalid_value', `version ${it.version} does not match address ${address}`);
        }
        const ip: CniIpConfig = { address };
        if (it.gateway !== undefined && it.gateway !== '') {
          if (typeof it.gateway !== 'string' || ipFamily(it.gateway) === 0)
            add(`${p}.gateway`, 'invalid_value', `invalid gateway ${JSON.stringify(it.gateway)}`);
          else if (family !== 0 && ipFamily(it.gateway) !== family)
            add(
              `${p}.gateway`,
              'invalid_value',
              `gateway ${it.gateway} is not in the address family of ${address}`,
            );
          else ip.gateway = it.gateway;
        }
        if (it.interface !== undefined && it.interface !== null) {
          const n = it.interface;
          if (!Number.isInteger(n) || (n as number) < 0)
            add(`${p}.interface`, 'invalid_value', 'interface must be a non-negative integer index');
          else if ((n as number) >= (result.interfaces?.length ?? 0))
            add(`${p}.interface`, 'out_of_range', `interface index ${n as number} is outside interfaces[]`);
          else ip.interface = n as number;
        }
        result.ips!.push(ip);
      });
    }
  }

  if (raw.routes !== undefined && raw.routes !== null) {
    if (!Array.isArray(raw.routes)) add('routes', 'invalid_type', 'routes must be an array');
    else {
      result.routes = [];
      raw.routes.forEach((it: unknown, i) => {
        const p = `routes[${i}]`;
        if (!isObject(it)) return add(p, 'invalid_type', 'route must be an object');
        const dst = typeof it.dst === 'string' ? it.dst : '';
        if (cidrFamily(dst) === 0)
          add(`${p}.dst`, 'invalid_value', `invalid route destination ${JSON.stringify(it.dst)}`);
        const route: CniRoute = { dst };
        if (it.gw !== undefined && it.gw !== '') {
          if (typeof it.gw !== 'string' || ipFamily(it.gw) === 0)
            add(`${p}.gw`, 'invalid_value', `invalid gateway ${JSON.stringify(it.gw)}`);
          else route.gw = it.gw;
        }
        for (const key of ['mtu', 'advmss', 'priority', 'table', 'scope'] as const) {
          const v = it[key];
          if (v === undefined || v === null) continue;
          if (!Number.isInteger(v) || (v as number) < 0)
            add(`${p}.${key}`, 'invalid_value', `${key} must be a non-negative integer`);
          else route[key] = v as number;
        }
        result.routes!.push(route);
      });
    }
  }

  if (raw.dns !== undefined && raw.dns !== null) {
    if (!isObject(raw.dns)) add('dns', 'invalid_type', 'dns must be an object');
    else {
      const dns: CniDns = {};
      for (const key of ['nameservers', 'search', 'options'] as const) {
        const v = raw.dns[key];
        if (v === undefined || v === null) continue;
        if (!Array.isArray(v) || v.some((x) => typeof x !== 'string'))
          add(`dns.${key}`, 'invalid_type', `${key} must be a list of strings`);
        else dns[key] = v as string[];
      }
      if (raw.dns.domain !== undefined && raw.dns.domain !== '') {
        if (typeof raw.dns.domain !== 'string') add('dns.domain', 'invalid_type', 'domain must be a string');
        else dns.domain = raw.dns.domain;
      }
      result.dns = dns;
    }
  }
  return issues.length > 0 ? { ok: false, issues } : { ok: true, result };
}

/** Parses a CNI error object, or undefined when `raw` is not one. */
export function parseErrorObject(raw: unknown): CniErrorObject | undefined {
  if (!isObject(raw) || !Number.isInteger(raw.code) || typeof raw.msg !== 'string') return undefined;
  const out: CniErrorObject = { code: raw.code as number, msg: raw.msg };
  if (typeof raw.cniVersion === 'string') out.cniVersion = raw.cniVersion;
  if (typeof raw.details === 'string' && raw.details !== '') out.details = raw.details;
  return out;
}

/** The result as `version` spells it (fields that version lacks are dropped, ip `version` added before 1.0.0). */
export function encodeResult(result: CniResult, version: string): Record<string, unknown> {
  const v110 = versionAtLeast(version, '1.1.0');
  const legacy = !versionAtLeast(version, '1.0.0');
  const out: Record<string, unknown> = { cniVersion: version };
  if (result.interfaces) {
    out.interfaces = result.interfaces.map((i) => {
      const o: Record<string, unknown> = { name: i.name };
      if (i.mac !== undefined) o.mac = i.mac;
      if (v110 && i.mtu !== undefined) o.mtu = i.mtu;
      if (i.sandbox !== undefined) o.sandbox = i.sandbox;
      if (v110 && i.socketPath !== undefined) o.socketPath = i.socketPath;
      if (v110 && i.pciID !== undefined) o.pciID = i.pciID;
      return o;
    });
  }
  if (result.ips) {
    out.ips = result.ips.map((ip) => {
      const o: Record<string, unknown> = {};
      if (legacy) o.version = String(cidrFamily(ip.address) || 4);
      if (ip.interface !== undefined) o.interface = ip.interface;
      o.address = ip.address;
      if (ip.gateway !== undefined) o.gateway = ip.gateway;
      return o;
    });
  }
  if (result.routes) {
    out.routes = result.routes.map((r) => {
      const o: Record<string, unknown> = { dst: r.dst };
      if (r.gw !== undefined) o.gw = r.gw;
      if (v110)
        for (const k of ['mtu', 'advmss', 'priority', 'table', 'scope'] as const)
          if (r[k] !== undefined) o[k] = r[k];
      return o;
    });
  }
  if (result.dns) out.dns = { ...result.dns };
  return out;
}

/** The same result re-labelled for another version (converting drops what the target cannot carry). */
export function convertResult(result: CniResult, version: string): CniResult {
  const again = parseResult(encodeResult(result, version));
  if (!again.ok) throw new Error(`internal: conversion to ${version} produced an invalid result`);
  return again.result;
}

/** The interfaces of `result` inside a sandbox (the container side). */
export function sandboxInterfaces(result: CniResult): CniInterface[] {
  return (result.interfaces ?? []).filter((i) => i.sandbox !== undefined && i.sandbox !== '');
}
