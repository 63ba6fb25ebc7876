#!/bin/sh
# generate-exim.sh: writes the Exim part of the bounce corpus (testdata/bounce/exim-*.eml)
# by sending one message per case in EXIM_CASES (below; the names and replies come from
# cases.txt) through a real Exim, on loopback only, to the rejecting sink (sink/main.go)
# or to local mailboxes, and saving the bounces Exim writes back to the sender.
#
# What it needs: root, Debian 12 (bookworm), python3 and Go. Exim is not installed:
# Debian's exim4 conflicts with the postfix package generate.sh (and the milter tests)
# need, so the script fetches exim4-daemon-light and exim4-base with `apt-get
# download`, unpacks them with `dpkg -x` into /var/tmp/exim-root and runs that binary
# with its own configuration (-C). Nothing listens on port 25 (no exim daemon is
# started); /etc/exim4 and /etc/postfix are not touched. Two changes outside /var/tmp,
# both for the set-uid binary: the Debian-exim system user it was built for (looked up
# at start) is added if missing, and libidn12, its one library bookworm may lack, is
# installed with apt (the loader ignores LD_LIBRARY_PATH for a set-uid program).
# The sink's log and Exim's own logs are left in /var/tmp/mc-exim.
# Not run by CI: its output is committed. Run from the repository root:
#   sh testdata/bounce/generate/generate-exim.sh
set -eu
GEN=testdata/bounce/generate
OUT=testdata/bounce
WORK=/var/tmp/mc-exim
ROOT=/var/tmp/exim-root
[ "$(id -u)" = 0 ] || { echo "needs root" >&2; exit 1; }

# The cases sent through Exim: a representative subset of cases.txt. postfix-* names
# are the cases the MTA itself fails (unknown local user, a full mailbox, a server
# whose SIZE is smaller than the message, a refused connection); they are saved as
# exim-local-userunknown.eml and so on.
EXIM_CASES="postfix-local-userunknown postfix-local-mailboxfull postfix-size-limit
postfix-connection-refused
gmail-userunknown gmail-disabled gmail-overquota gmail-overquota-temp gmail-toobig
gmail-dmarc gmail-spam gmail-attachment-zip gmail-rate
outlook-recipient-not-found outlook-dmarc outlook-mailbox-full outlook-spamhaus
yahoo-userunknown yahoo-tss04 yahoo-dmarc
other-spam-zip other-user-unknown other-mailbox-full other-rate-limit"

if [ ! -x "$ROOT/usr/sbin/exim4" ]; then
  dl=$(mktemp -d)
  (cd "$dl" && apt-get download exim4-daemon-light exim4-base)
  for d in "$dl"/*.deb; do dpkg -x "$d" "$ROOT"; done
  rm -rf "$dl"
fi
# The binary is set-uid root and re-executes itself as Debian-exim, so the loader
# ignores LD_LIBRARY_PATH there: its one library bookworm lacks by default must be
# installed (libidn12 is a plain library, no conflict with postfix).
if LD_LIBRARY_PATH= ldd "$ROOT/usr/sbin/exim4" | grep -q 'not found'; then
  DEBIAN_FRONTEND=noninteractive apt-get install -y libidn12
fi
getent passwd Debian-exim >/dev/null ||
  useradd --system --user-group --no-create-home --home-dir /var/spool/exim4 --shell /usr/sbin/nologin Debian-exim

rm -rf "$WORK"; mkdir -p "$WORK/caught" "$WORK/msgs" "$WORK/spool" "$WORK/log"
chmod 1777 "$WORK/caught"; chown Debian-exim:Debian-exim "$WORK/spool" "$WORK/log"
# "full" has a mailbox at its size limit.
# Local deliveries run as Debian-exim (Exim gives up root for -C), in a folder of its
# own for the lock files.
mkdir -p "$WORK/mail"; head -c 199990 /dev/zero | tr '\0' 'x' > "$WORK/mail/full"
chown -R Debian-exim:Debian-exim "$WORK/mail"

cat > "$WORK/exim.conf" <<EOS
# Exim re-executes itself for the bounce.
exim_path = $ROOT/usr/sbin/exim4
primary_hostname = mx.sender.example
qualify_domain = sender.example
domainlist local_domains = sender.example
spool_directory = $WORK/spool
log_file_path = $WORK/log/%slog
keep_environment =
message_size_limit = 200000
# The test domains do not exist; nothing is looked up in the DNS.
host_lookup =
rfc1413_hosts =
# A 4xx reply bounces at once (the retry rule below), and nothing stays frozen.
ignore_bounce_errors_after = 0s
timeout_frozen_after = 1m

begin routers

sink:
  driver = manualroute
  domains = gmail.example : outlook.example : yahoo.example : other.example
  route_list = * 127.0.0.1
  self = send
  transport = sink_smtp

small:
  driver = manualroute
  domains = small.example
  route_list = * 127.0.0.1
  self = send
  transport = small_smtp

down:
  driver = manualroute
  domains = down.example
  route_list = * 127.0.0.1
  self = send
  transport = down_smtp

alice:
  driver = accept
  domains = +local_domains
  local_parts = alice
  local_part_suffix = +*
  local_part_suffix_optional
  transport = capture

full:
  driver = accept
  domains = +local_domains
  local_parts = full
  transport = full_mbox

begin transports

sink_smtp:
  driver = smtp
  port = 2525
  allow_localhost
  hosts_avoid_tls = *

small_smtp:
  driver = smtp
  port = 2526
  allow_localhost
  hosts_avoid_tls = *

down_smtp:
  driver = smtp
  port = 2599
  allow_localhost

capture:
  driver = appendfile
  file = $WORK/caught/\${message_exim_id}.eml
  user = Debian-exim
  group = Debian-exim
  mode = 0644
  message_prefix =
  message_suffix =
  check_string =
  escape_string =
  return_path_add
  envelope_to_add
  delivery_date_add

full_mbox:
  driver = appendfile
  file = $WORK/mail/full
  user = Debian-exim
  group = Debian-exim
  quota = 200000
  return_path_add
  envelope_to_add

begin retry

# No retries: a temporary failure bounces at the first attempt.
*  *
EOS

go build -o "$WORK/sink" ./$GEN/sink
"$WORK/sink" -rules $GEN/cases.txt > "$WORK/sink.log" 2>&1 &
SINK=$!
trap 'kill $SINK 2>/dev/null || true' EXIT
sleep 1

python3 $GEN/messages.py $GEN/cases.txt "$WORK/msgs"
for name in $EXIM_CASES; do
  f="$WORK/msgs/$name.eml"
  rcpt=$(sed -n 's/^X-Case-Rcpt: //p' "$f")
  sed -i '/^X-Case-Rcpt: /d' "$f"
  before=$(ls "$WORK/caught" | wc -l)
  # -odi: deliver in the foreground; the bounce is delivered by a child Exim.
  "$ROOT/usr/sbin/exim4" -C "$WORK/exim.conf" -odi -f "alice+$name@sender.example" "$rcpt" < "$f"
  for i in $(seq 1 100); do
    [ "$(ls "$WORK/caught" | wc -l)" -gt "$before" ] && break
    sleep 0.1
  done
  # One case's host failure (421, refused connection) must not hold back the next.
  rm -f "$WORK"/spool/db/retry*
done
"$ROOT/usr/sbin/exim4" -C "$WORK/exim.conf" -bpc
n=0
for f in "$WORK"/caught/*.eml; do
  name=$(sed -n 's/^To: alice+\([a-z0-9-]*\)@sender.example.*/\1/p' "$f" | head -1)
  [ -n "$name" ] || continue
  cp "$f" "$OUT/exim-${name#postfix-}.eml"
  n=$((n+1))
done
echo "$n Exim bounces written"
