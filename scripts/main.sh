#!/usr/bin/env bash
# The main job: installs what is missing, builds virtnet and its guest, then runs a real VM on a real
# CNI pod network plus one Multus network (examples/main), shows that a second pod reaches the VM on
# both networks, and stops everything again. Run as root on Debian 12.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
virtnet=(node dist/cli/main.js)

work=$(mktemp -d /tmp/virtnet-main.XXXXXX)
state="$work/state"
peer=virtnet-demo-peer
run_pid=
cleanup() {
  if [ -n "$run_pid" ] && kill -0 "$run_pid" 2>/dev/null; then
    kill -TERM "$run_pid"
  fi
  # virtnet tears down from its state dir: wait for it before removing anything.
  [ -z "$run_pid" ] || wait "$run_pid" || true
  "${virtnet[@]}" pod delete "$peer" --state-dir "$state" >/dev/null 2>&1 || true
  # The host bridges the CNI bridge plugin created for the demo (DEL leaves them): remove them once unused.
  for br in virtnet-blue virtnet0; do
    [ -n "$(ip -o link show master "$br" 2>/dev/null)" ] || ip link del "$br" 2>/dev/null || true
  done
  rm -rf "$work"
}
trap cleanup EXIT

echo "== virtnet run examples/main/vm.yaml (pod network + Multus blue-net)"
"${virtnet[@]}" run examples/main/vm.yaml --nad examples/main/nads.yaml --state-dir "$state" >"$work/tree.txt" &
run_pid=$!
for _ in $(seq 1 300); do
  grep -q '^guest ready' "$work/tree.txt" 2>/dev/null && break
  kill -0 "$run_pid" 2>/dev/null || { echo "virtnet run failed" >&2; exit 1; }
  sleep 1
done
grep -q '^guest ready' "$work/tree.txt" || { echo "the guest did not come up" >&2; exit 1; }
sed -n '/^guest ready/,$p' "$work/tree.txt"

echo "== a second pod on the same networks reaches the VM"
"${virtnet[@]}" pod create "$peer" --state-dir "$state" --nad examples/main/nads.yaml --networks blue-net >/dev/null
"${virtnet[@]}" status -o json --state-dir "$state" >"$work/status.json"
ips=$(node -e 'for (const r of JSON.parse(require("fs").readFileSync(process.argv[1], "utf8"))) for (const n of r.nics) for (const ip of n.ips) if (!ip.includes(":")) console.log(`${n.name} ${ip.split("/")[0]}`)' "$work/status.json")
failed=0
while read -r nic ip; do
  reply=$(printf 'GET / HTTP/1.0\r\n\r\n' | ip netns exec "$peer" nc -w 5 "$ip" 80 | head -n 1 | tr -d '\r' || true)
  echo "  $peer -> VM NIC $nic at $ip: ${reply:-no answer}"
  case "$reply" in HTTP/1.?\ 200*) ;; *) failed=1 ;; esac
done <<<"$ips"

echo "== stopping (SIGTERM): VM, DHCP, bindings and pod are torn down"
kill -TERM "$run_pid"
wait "$run_pid"
run_pid=
echo "done"
exit "$failed"
