# Shared by scripts/demo and scripts/test (sourced, not run): where things live, and
# the steps that make a fresh machine ready. Each step is quick when already done.

ODOO_HOME=${ODOO_HOME:-/opt/odoo}
REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
STATE=${MAIL_CATCHER_STATE:-${XDG_CACHE_HOME:-$HOME/.cache}/mail_catcher}
# One virtual environment per version of the requirement files, shared by every clone.
VENV=${MAIL_CATCHER_VENV:-$STATE/venv-$(cat "$REPO/requirements.txt" "$REPO"/requirements/*.txt | sha1sum | cut -c1-12)}
# Odoo finds an addon by its folder name: each clone gets a folder with a link named
# mail_catcher to it, and one to each addon of tests/addons (on the path, installed in
# test databases only: create_test_database).
ADDONS=$STATE/addons-$(echo -n "$REPO" | sha1sum | cut -c1-12)
TEST_ADDONS=(mail_catcher_rule_example)
DEBIAN_PACKAGES=(postgresql dovecot-imapd dovecot-pop3d dovecot-lmtpd mailutils-imap4d wkhtmltopdf chromium)

die() {
    echo "error: $*" >&2
    exit 1
}

require_odoo() {
    [ -f "$ODOO_HOME/odoo-bin" ] || die "Odoo 18.0 is not at $ODOO_HOME (ODOO_HOME).
Put the Odoo 18.0 community source there (see README.md, 'Requirements'), or set
ODOO_HOME to the folder that holds odoo-bin."
    grep -q "version_info = (18, 0" "$ODOO_HOME/odoo/release.py" ||
        die "$ODOO_HOME is not Odoo 18.0 (odoo/release.py)."
}

ensure_debian_packages() {
    local missing=()
    for package in "${DEBIAN_PACKAGES[@]}"; do
        dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed" ||
            missing+=("$package")
    done
    [ ${#missing[@]} -eq 0 ] && return
    [ "$(id -u)" -eq 0 ] || die "missing Debian packages: ${missing[*]} (apt-get install them as root)"
    echo "Installing Debian packages: ${missing[*]}"
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null ||
        die "apt-get could not install ${missing[*]}"
    # Debian starts these on install; the bench runs its own, on its own ports.
    command -v service >/dev/null && service dovecot stop >/dev/null 2>&1 || true
}

ensure_venv() {
    if [ ! -x "$VENV/bin/python" ] || [ ! -f "$VENV/.complete" ]; then
        echo "Creating the virtual environment $VENV"
        rm -rf "$VENV"
        python3 -m venv "$VENV" || die "python3 -m venv failed"
        if ! "$VENV/bin/pip" install -q --disable-pip-version-check \
            -r "$REPO/requirements.txt" >"$VENV/pip.log" 2>&1; then
            grep -v "^WARNING: Location" "$VENV/pip.log" >&2
            die "pip could not install requirements.txt (see above)"
        fi
        touch "$VENV/.complete"
    fi
}

ensure_addons_path() {
    mkdir -p "$ADDONS"
    ln -sfn "$REPO" "$ADDONS/mail_catcher"
    for addon in "${TEST_ADDONS[@]}"; do
        ln -sfn "$REPO/tests/addons/$addon" "$ADDONS/$addon"
    done
}

ensure_postgres() {
    if ! pg_isready -q -h 127.0.0.1 2>/dev/null; then
        local version
        version=$(ls /etc/postgresql 2>/dev/null | sort -n | tail -n 1)
        [ -n "$version" ] || die "PostgreSQL is not installed"
        pg_ctlcluster --skip-systemctl-redirect "$version" main start ||
            die "could not start PostgreSQL $version"
    fi
    # Odoo refuses to connect as 'postgres': it needs a role of the user that runs it.
    local role
    role=$(id -un)
    if ! psql -h 127.0.0.1 -U "$role" -d postgres -tAc "SELECT 1" >/dev/null 2>&1; then
        su postgres -c "createuser --superuser $role" || die "could not create the PostgreSQL role $role"
    fi
}

setup_machine() {
    require_odoo
    ensure_debian_packages
    ensure_postgres
    ensure_venv
    ensure_addons_path
}

# start_bench NAME: the bench of mail servers (Dovecot and SMTP on 127.0.0.1) in a new
# folder /tmp/NAME.XXXXXX, kept in RUN, with MAIL_CATCHER_BENCH set; on exit the bench stops
# and the folder goes, unless KEEP_RUN is set (its logs are then kept, the bench's
# mailboxes not). A short name: Dovecot's unix socket paths must stay under 108 bytes.
start_bench() {
    RUN=$(mktemp -d "/tmp/$1.XXXXXX")
    chmod 755 "$RUN"  # the bench delivers mail as the "mail" user
    trap stop_bench EXIT
    "$VENV/bin/python" "$REPO/scripts/bench.py" start --dir "$RUN/bench" >"$RUN/bench.out" ||
        die "the bench of mail servers did not start: $(cat "$RUN/bench.out")"
    export MAIL_CATCHER_BENCH=$RUN/bench/bench.json
}

stop_bench() {
    "$VENV/bin/python" "$REPO/scripts/bench.py" stop --dir "$RUN/bench" >/dev/null 2>&1
    if [ -n "${KEEP_RUN:-}" ]; then rm -rf "$RUN/bench"; else rm -rf "$RUN"; fi
}

free_port() {
    python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}


# odoo [COMMAND] OPTIONS...: odoo-bin on this clone's addons and the local PostgreSQL.
# The addons path comes first: Odoo looks for addons' commands (mail_catcher_watch) before
# it reads the rest of the line.
odoo() {
    local command=()
    case "${1:-}" in -* | "") ;; *) command=("$1") && shift ;; esac
    "$VENV/bin/python" "$ODOO_HOME/odoo-bin" --addons-path="$ODOO_HOME/addons,$ADDONS" \
        "${command[@]}" --db_host=127.0.0.1 --db_user="$(id -un)" "$@"
}

# Runs a Python file inside `odoo-bin shell` on database $1; the file gets `env`.
odoo_shell() {
    local database=$1 script=$2
    odoo shell -d "$database" --no-http --log-level=warn <"$script"
}

# A database with the addon, invoices, purchases, French and Dutch, and a chart of accounts;
# and the addons named in $2 (comma-separated), if any.
create_database() {
    local database=$1 modules=mail_catcher,account,purchase${2:+,$2}
    dropdb -h 127.0.0.1 --if-exists "$database" 2>/dev/null || die "could not drop $database"
    odoo -d "$database" -i "$modules" --without-demo=all \
        --load-language=fr_FR,nl_NL --stop-after-init --log-level=warn ||
        die "could not create the database $database"
    odoo_shell "$database" "$REPO/scripts/odoo/prepare_database.py" ||
        die "could not prepare the database $database"
}

# The database the tests run on: create_database's, with the addons of tests/addons (an
# addon that extends mail_catcher as others would, which the demo never installs).
create_test_database() {
    create_database "$1" "$(IFS=,; echo "${TEST_ADDONS[*]}")"
}

# The Odoo test tags of mail_catcher's tests and those of tests/addons.
test_tags() {
    local tags=/mail_catcher addon
    for addon in "${TEST_ADDONS[@]}"; do tags+=",/$addon"; done
    echo "$tags"
}
