#!/bin/sh
# Makes the secret files deploy/compose.yaml mounts, once (an existing file is kept): the PostgreSQL password, the
# pgpass line the service reads it from (same password), and the HS256 key tokens are signed with.
# Usage: deploy/make-secrets.sh [FOLDER]   (default: deploy/secrets, which git ignores)
set -eu
dir=${1:-"$(dirname "$0")/secrets"}
mkdir -p "$dir"
umask 022
if [ ! -s "$dir/db_password" ]; then
  openssl rand -hex 24 > "$dir/db_password"
fi
if [ ! -s "$dir/db_pgpass" ]; then
  printf 'postgres:5432:analyzer:analyzer:%s\n' "$(cat "$dir/db_password")" > "$dir/db_pgpass"
fi
if [ ! -s "$dir/auth_secret" ]; then
  openssl rand -base64 48 | tr -d '\n' > "$dir/auth_secret"
fi
# Readable by the service's user (uid 1654) inside the containers: compose mounts the files with these modes.
chmod 0644 "$dir/db_password" "$dir/db_pgpass" "$dir/auth_secret"
echo "secrets in $dir"
