// What virtnet's DHCP servers serve: one entry per VM NIC, produced by a binding plan and read by the
// DHCP process (which runs inside the pod's network namespace). Pure types, JSON-serialisable.

/** Everything one VM NIC gets over DHCPv4. Addresses are dotted quads. */
export interface Dhcp4Lease {
  /** The only client MAC this entry answers (lower-case, colon separated). */
  clientMac: string;
  /** The bridge in the pod the client sits behind; replies leave through it only. */
  bridge: string;
  /** The server identifier (option 54): the bridge's own address. */
  serverAddress: string;
  address: string;
  prefixLength: number;
  routers: string[];
  /** RFC 3442 option 121 (a default route is included as 0.0.0.0/0 when routers are given). */
  classlessRoutes: { destination: string; gateway: string }[];
  dnsServers: string[];
  searchDomains: string[];
  domainName?: string;
  hostname?: string;
  mtuBytes?: number;
  leaseSeconds: number;
  ntpServers: string[];
  tftpServerName?: string;
  bootFileName?: string;
  privateOptions: { code: number; value: string }[];
}

/** The configuration file of one pod's DHCPv4 server process. */
export interface Dhcp4ServerConfig {
  leases: Dhcp4Lease[];
}
