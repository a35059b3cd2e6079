#!/usr/bin/env bash
# Prepare a fresh local Chatwoot (docker-compose.yaml here) for recording cassettes:
#   1. start Postgres + Redis, 2. `rails db:chatwoot_prepare`, 3. a Rails runner that creates
#   the account, a confirmed SuperAdmin user, its administrator membership, a PlatformApp
#   (with a permissible on the account) and deletes the installation-onboarding Redis flag,
#   4. writes the tokens to .secrets/recorder.env (mode 0600). Tokens are never printed.
# Idempotent: running it again reuses the account, user and app (find-or-create).
# NOT run in this repository's CI (no Docker engine there). See docs/recording.md.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
cd "$here"
[ -f .env ] || { echo "bootstrap: copy .env.example to .env and fill in the CHANGE-ME values" >&2; exit 2; }
if grep -q 'CHANGE-ME' .env; then echo "bootstrap: .env still contains CHANGE-ME" >&2; exit 2; fi
command -v docker >/dev/null || { echo "bootstrap: docker is not installed" >&2; exit 2; }

umask 077
mkdir -p .secrets
chmod 700 .secrets
out=.secrets/recorder.env

echo "bootstrap: starting postgres and redis"
docker compose up -d --wait postgres redis

echo "bootstrap: preparing the database (rails db:chatwoot_prepare)"
docker compose run --rm -T rails bundle exec rails db:chatwoot_prepare

echo "bootstrap: creating account, super admin, administrator membership and platform app"
read -r -d '' RUBY <<'RB' || true
require "json"
account_name = ENV.fetch("CWT_BOOTSTRAP_ACCOUNT_NAME")
email = ENV.fetch("CWT_BOOTSTRAP_ADMIN_EMAIL").strip.downcase
password = ENV.fetch("CWT_BOOTSTRAP_ADMIN_PASSWORD")
user = account = app = nil
ActiveRecord::Base.transaction do
  account = Account.find_or_create_by!(name: account_name)
  user = User.find_by(email: email) || User.new(email: email, password: password, password_confirmation: password)
  user.name = ENV.fetch("CWT_BOOTSTRAP_ADMIN_NAME")
  user.type = "SuperAdmin"                   # STI: may use /super_admin
  user.skip_confirmation! unless user.confirmed?
  user.save!
  membership = AccountUser.find_or_initialize_by(account: account, user: user)
  membership.role = :administrator
  membership.save!
  app = PlatformApp.find_or_create_by!(name: ENV.fetch("CWT_BOOTSTRAP_PLATFORM_APP"))
  # the Platform API only reaches objects it created or was granted (docs/chatwoot-behaviour.md#platform-apps)
  PlatformAppPermissible.find_or_create_by!(platform_app: app, permissible: account)
  PlatformAppPermissible.find_or_create_by!(platform_app: app, permissible: user)
end
# close the installation onboarding form (otherwise anyone can claim the instance)
onboarding = defined?(Redis::Alfred::CHATWOOT_INSTALLATION_ONBOARDING) ? Redis::Alfred::CHATWOOT_INSTALLATION_ONBOARDING : "CHATWOOT_INSTALLATION_ONBOARDING"
Redis::Alfred.delete(onboarding)
path = "/cwt-out/recorder.env"
File.open(path, File::WRONLY | File::CREAT | File::TRUNC, 0o600) do |f|
  f.puts "CHATWOOT_ACCOUNT_ID=#{account.id}"
  f.puts "CHATWOOT_API_TOKEN=#{user.access_token.token}"
  f.puts "CHATWOOT_PLATFORM_TOKEN=#{app.access_token.token}"
end
File.chmod(0o600, path)
File.chown(Integer(ENV.fetch("CWT_HOST_UID")), Integer(ENV.fetch("CWT_HOST_GID")), path)
RB

# the runner's stdout (Rails logs) is discarded so nothing secret can reach the terminal
docker compose run --rm -T \
  -v "$here/.secrets:/cwt-out" \
  -e CWT_HOST_UID="$(id -u)" -e CWT_HOST_GID="$(id -g)" \
  rails bundle exec rails runner "$RUBY" >/dev/null

port=$(grep -E '^CHATWOOT_PORT=' .env | cut -d= -f2); port=${port:-3000}
echo "CHATWOOT_URL=http://127.0.0.1:$port" >> "$out"
chmod 600 "$out"
echo "bootstrap: tokens written to deploy/chatwoot/$out (mode 0600)"
echo "bootstrap: now run:  docker compose up -d   (in deploy/chatwoot)"
