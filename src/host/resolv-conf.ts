// Parses resolv.conf(5) text into the pod's DNS settings. Pure.
import type { DiscoveredDns } from './discovered-types.js';

/** Nameservers, search domains (the last `search`/`domain` line wins, as in glibc), options. */
export function parseResolvConf(text: string, source: string): DiscoveredDns {
  const dns: DiscoveredDns = { nameservers: [], search: [], options: [], source };
  for (const raw of text.split('\n')) {
    const line = raw.replace(/[#;].*$/, '').trim();
    const [keyword, ...args] = line.split(/\s+/);
    if (keyword === 'nameserver' && args[0]) dns.nameservers.push(args[0]);
    else if (keyword === 'search') dns.search = args.filter((a) => a !== '');
    else if (keyword === 'domain' && args[0]) {
      dns.domain = args[0];
      dns.search = [args[0]];
    } else if (keyword === 'options') dns.options.push(...args);
  }
  return dns;
}
