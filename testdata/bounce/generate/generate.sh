#!/bin/sh
# generate.sh: writes the Postfix part of the bounce corpus (testdata/bounce/*.eml) by
# sending one message per case in cases.txt through a real Postfix, on loopback only,
# to the rejecting sink (sink/main.go) or to local mailboxes, and saving the bounces
# Postfix writes back to the sender. Needs root and Debian's postfix package; it
# rewrites /etc/postfix/main.cf, so run it in a throwaway container or VM.
# Not run by CI: its output is committed. Run from the repository root:
#   sh testdata/bounce/generate/generate.sh
set -eu
GEN=testdata/bounce/generate
OUT=testdata/bounce
WORK=/var/tmp/mc-bounce
[ "$(id -u)" = 0 ] || { echo "needs root" >&2; exit 1; }
command -v postfix >/dev/null || { echo "apt-get install postfix" >&2; exit 1; }

rm -rf "$WORK"; mkdir -p "$WORK/caught" "$WORK/msgs"; chmod 1777 "$WORK/caught"
# Alice's bounces are piped to one file each; "full" has a mailbox at its size limit.
cat > "$WORK/capture" <<'EOS'
#!/bin/sh
cat > /var/tmp/mc-bounce/caught/$(date +%s%N).$$.eml
EOS
chmod 755 "$WORK/capture"
head -c 199990 /dev/zero | tr '\0' 'x' > "$WORK/full.mbox"; chmod 666 "$WORK/full.mbox"
cat > /etc/aliases <<EOS
postmaster: root
alice: "|$WORK/capture"
full: $WORK/full.mbox
EOS
cat > /etc/postfix/mc-transport <<'EOS'
gmail.example    smtp:[127.0.0.1]:2525
outlook.example  smtp:[127.0.0.1]:2525
yahoo.example    smtp:[127.0.0.1]:2525
other.example    smtp:[127.0.0.1]:2525
small.example    smtp:[127.0.0.1]:2526
down.example     smtp:[127.0.0.1]:2599
nohost.example   error:5.1.2 Host or domain name not found. Name service error for name=nohost.example type=MX: Host not found
EOS
echo "bob@forwarder.example unauth-fwd@gmail.example" > /etc/postfix/mc-virtual
[ -f /etc/postfix/master.cf ] || cp /usr/share/postfix/master.cf.dist /etc/postfix/master.cf
# No smtpd: messages are submitted with sendmail(1), so nothing listens on port 25.
sed -i 's/^smtp      inet/#smtp      inet/' /etc/postfix/master.cf
cat > /etc/postfix/main.cf <<'EOS'
compatibility_level = 3.6
myhostname = mx.sender.example
mydomain = sender.example
myorigin = sender.example
mydestination = sender.example, localhost
inet_interfaces = loopback-only
inet_protocols = ipv4
alias_maps = hash:/etc/aliases
alias_database = hash:/etc/aliases
recipient_delimiter = +
transport_maps = hash:/etc/postfix/mc-transport
virtual_alias_domains = forwarder.example
virtual_alias_maps = hash:/etc/postfix/mc-virtual
# Bounce at the first temporary failure too, so 4xx replies give a bounce now.
maximal_queue_lifetime = 0
bounce_queue_lifetime = 0
smtp_dns_support_level = disabled
message_size_limit = 200000
mailbox_size_limit = 200000
smtputf8_enable = no
EOS
postmap /etc/postfix/mc-transport /etc/postfix/mc-virtual; newaliases
postfix stop 2>/dev/null || true; postfix start

go build -o "$WORK/sink" ./$GEN/sink
"$WORK/sink" -rules $GEN/cases.txt > "$WORK/sink.log" 2>&1 &
SINK=$!
trap 'kill $SINK 2>/dev/null || true' EXIT
sleep 1

python3 $GEN/messages.py $GEN/cases.txt "$WORK/msgs"
n=0
for f in "$WORK"/msgs/*.eml; do
  name=$(basename "$f" .eml)
  rcpt=$(sed -n 's/^X-Case-Rcpt: //p' "$f")
  sed -i '/^X-Case-Rcpt: /d' "$f"
  /usr/sbin/sendmail -f "alice+$name@sender.example" "$rcpt" < "$f"
  n=$((n+1))
done
# Wait for every bounce.
for i in $(seq 1 120); do
  [ "$(ls "$WORK/caught" | wc -l)" -ge "$n" ] && break
  sleep 1
done
postqueue -p | tail -1
for f in "$WORK"/caught/*.eml; do
  name=$(sed -n 's/^To: alice+\([a-z0-9-]*\)@sender.example.*/\1/p' "$f" | head -1)
  case "$name" in postfix-*) dest="$name" ;; *) dest="postfix-$name" ;; esac
  [ -n "$name" ] && cp "$f" "$OUT/$dest.eml"
done
ls "$OUT" | wc -l
postfix stop
