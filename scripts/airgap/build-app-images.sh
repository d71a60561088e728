#!/usr/bin/env bash
# Images for suites/real-apps (nginx, an HTTP backend on Python, PostgreSQL, Redis), built from
# Debian packages and tagged with the upstream names the suite's manifests use: users with a
# registry run the upstream images, hosts without one run these. One Debian root filesystem holds
# all four servers; each tag only sets its entrypoint and command like the upstream image.
# Called by build-images.sh (npm run images); runnable alone. Idempotent (stamped steps).
source "$(dirname "$0")/lib.sh"
MIRROR=${NPH_DEBIAN_MIRROR:-$(awk '/^deb /{print $2; exit}' /etc/apt/sources.list 2>/dev/null || true)}
[ -n "$MIRROR" ] || MIRROR=$(sed -n 's/^URIs: //p' /etc/apt/sources.list.d/*.sources 2>/dev/null | head -1)
APP_TAGS="nginx:1.22 python:3.11-slim postgres:15 redis:7.0"
APPS_KEY="bookworm-1 $(sha256sum "$0" | cut -c1-16)"

apps_rootfs() {
  local r=$W/rootfs/apps; rm -rf "$r"
  debootstrap --variant=minbase --include=nginx-light,python3,postgresql-15,redis-server,netbase,ca-certificates bookworm "$r" "$MIRROR"
  # nginx as the upstream image lays it out: conf.d only, pages in /usr/share/nginx/html, logs to the container's output.
  rm -f "$r/etc/nginx/sites-enabled/default"; mkdir -p "$r/usr/share/nginx/html" "$r/etc/nginx/conf.d"
  echo '<h1>nginx (Debian package, netpol-harness stand-in)</h1>' >"$r/usr/share/nginx/html/index.html"
  printf 'server {\n  listen 80;\n  location / { root /usr/share/nginx/html; index index.html; }\n}\n' >"$r/etc/nginx/conf.d/default.conf"
  ln -sf /dev/stdout "$r/var/log/nginx/access.log"; ln -sf /dev/stderr "$r/var/log/nginx/error.log"
  ln -sf python3 "$r/usr/bin/python"
  # PostgreSQL: the upstream entrypoint's contract (POSTGRES_PASSWORD, POSTGRES_USER, PGDATA; initdb on first start; runs as postgres).
  mkdir -p "$r/var/run/postgresql" "$r/var/lib/postgresql/data"; chroot "$r" chown -R postgres:postgres /var/run/postgresql /var/lib/postgresql
  cat >"$r/usr/local/bin/docker-entrypoint.sh" <<'SH'
#!/bin/sh
set -e
: "${PGDATA:=/var/lib/postgresql/data}"
if [ "$1" = postgres ]; then
  if [ "$(id -u)" = 0 ]; then
    mkdir -p "$PGDATA" /var/run/postgresql && chown -R postgres:postgres "$PGDATA" /var/run/postgresql && chmod 700 "$PGDATA"
    exec setpriv --reuid=postgres --regid=postgres --init-groups "$0" "$@"
  fi
  if [ ! -s "$PGDATA/PG_VERSION" ]; then
    [ -n "$POSTGRES_PASSWORD" ] || { echo "POSTGRES_PASSWORD is not set" >&2; exit 1; }
    printf '%s\n' "$POSTGRES_PASSWORD" >/tmp/pwfile
    initdb -D "$PGDATA" --username="${POSTGRES_USER:-postgres}" --pwfile=/tmp/pwfile --auth-local=trust --auth-host=scram-sha-256
    rm -f /tmp/pwfile
    echo "host all all all scram-sha-256" >>"$PGDATA/pg_hba.conf"
  fi
  shift
  exec postgres -D "$PGDATA" -c listen_addresses='*' "$@"
fi
exec "$@"
SH
  chmod 0755 "$r/usr/local/bin/docker-entrypoint.sh"
  rm -rf "$r"/var/lib/apt/lists/* "$r"/var/cache/apt/* "$r"/usr/share/{doc,man,locale}/*
  tar -C "$r" --numeric-owner -c . >"$W/img/apps-rootfs.tar"
}
for t in $APP_TAGS; do require_image apps-rootfs "$t"; done
run_step apps-rootfs "$APPS_KEY" apps_rootfs

app_images() { # same layer four times: docker stores it once
  local P='ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin'
  docker import --change "$P" --change 'CMD ["nginx","-g","daemon off;"]' "$W/img/apps-rootfs.tar" nginx:1.22
  docker import --change "$P" --change 'CMD ["python3"]' "$W/img/apps-rootfs.tar" python:3.11-slim
  docker import --change "$P:/usr/lib/postgresql/15/bin" --change 'ENV PGDATA=/var/lib/postgresql/data' \
    --change 'ENTRYPOINT ["/usr/local/bin/docker-entrypoint.sh"]' --change 'CMD ["postgres"]' "$W/img/apps-rootfs.tar" postgres:15
  docker import --change "$P" --change 'CMD ["redis-server"]' "$W/img/apps-rootfs.tar" redis:7.0
  docker image inspect $APP_TAGS >/dev/null   # run_step runs this in an if: set -e does not stop it
}
for t in $APP_TAGS; do require_image app-images "$t"; done
run_step app-images "$APPS_KEY" app_images
log "application images for suites/real-apps: $APP_TAGS"
