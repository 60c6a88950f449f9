#!/bin/sh
# virtnet guest outbound probe: busybox httpd CGI at /cgi-bin/connect?host=IP&port=N.
# Opens a TCP connection from the guest to IP:N, sends one line `VIRTNET-CONNECT hostname=NAME`,
# and answers 200 with whatever the peer sent back before closing (or 502 when the connection
# failed, 400 for a bad query). Lets tests prove traffic the guest initiates (NAT, egress).
# The query comes from the network: it is only split with `set -f` and matched with case patterns,
# never evaluated; host must be an IPv4 or IPv6 literal, port a decimal number 1-65535.
export PATH=/bin:/sbin

reply() {
  # $1 status line, $2 body. busybox httpd passes a CGI's output through when it starts with HTTP.
  printf 'HTTP/1.0 %s\r\nContent-Type: text/plain\r\nConnection: close\r\n\r\n%s' "$1" "$2"
  exit 0
}

valid_ipv4() {
  case "$1" in '' | *[!0-9.]* | .* | *. | *..*) return 1 ;; esac
  old_ifs=$IFS
  IFS=.
  # shellcheck disable=SC2086 # splitting on dots is the point; set -f is on
  set -- $1
  IFS=$old_ifs
  [ $# -eq 4 ] || return 1
  for octet in "$@"; do
    case "$octet" in '' | ????* | 0?*) return 1 ;; esac
    [ "$octet" -le 255 ] || return 1
  done
  return 0
}

valid_ipv6() {
  case "$1" in *:*) ;; *) return 1 ;; esac
  case "$1" in *[!0-9a-fA-F:]* | *:::* | *::*::*) return 1 ;; esac
  [ ${#1} -le 39 ] || return 1
  return 0
}

valid_port() {
  case "$1" in '' | *[!0-9]* | 0* | ??????*) return 1 ;; esac
  [ "$1" -le 65535 ]
}

set -f
host=""
port=""
old_ifs=$IFS
IFS='&'
# shellcheck disable=SC2086 # split the query on '&'; globbing is off
set -- $QUERY_STRING
IFS=$old_ifs
for pair in "$@"; do
  case "$pair" in
    host=*) host=$(httpd -d "${pair#host=}") ;;
    port=*) port=$(httpd -d "${pair#port=}") ;;
    *) reply '400 Bad Request' "unknown query parameter
" ;;
  esac
done

valid_ipv4 "$host" || valid_ipv6 "$host" || reply '400 Bad Request' "host must be an IPv4 or IPv6 literal
"
valid_port "$port" || reply '400 Bad Request' "port must be a number 1-65535
"

err=/run/connect.$$.err
# -w bounds the connect; timeout bounds a peer that accepts but never closes.
out=$(echo "VIRTNET-CONNECT hostname=$(hostname)" | timeout 5 nc -w 3 "$host" "$port" 2>"$err")
status=$?
why=$(cat "$err" 2>/dev/null)
rm -f "$err"
if [ $status -ne 0 ] && [ -z "$out" ]; then
  reply '502 Bad Gateway' "connect to $host port $port failed: ${why:-exit $status}
"
fi
reply '200 OK' "$out
"
