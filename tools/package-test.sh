#!/usr/bin/env bash
# Builds the Debian package postgresql-NN-supervise of this tree with pg_buildext (for the
# PostgreSQL version NN=$PGV, default the distribution's), installs it with apt, and on a throwaway
# UTF8 cluster creates the extension from the package's files and makes a verified draw; then
# removes the package again. Run by tools/test.sh before it builds the tree itself, so that on a
# fresh machine nothing of the source tree's own build is installed while the package is tested.
# Needs root. Prints "ok" lines and exits non-zero on failure; leaves the .deb in $PKG_OUT
# (default /tmp/supervise-deb).
set -euo pipefail
cd "$(dirname "$0")/.."
top=$(pwd)
PGV=${PGV:-$(tools/ensure-packages.sh)}
out=${PKG_OUT:-/tmp/supervise-deb}
version=$(sed -n "s/^default_version = '\(.*\)'/\1/p" supervise.control)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# a clean copy of the tree (tracked and untracked-but-not-ignored files), as a source package has
mkdir -p "$work/supervise-$version"
if git -C "$top" rev-parse --git-dir >/dev/null 2>&1; then
  git -C "$top" ls-files -z --cached --others --exclude-standard \
    | tar --null --ignore-failed-read -T - -cf - 2>/dev/null | tar -xf - -C "$work/supervise-$version"
else
  tar --exclude='*.o' --exclude='*.so' --exclude='*.bc' -cf - . | tar -xf - -C "$work/supervise-$version"
fi
cd "$work/supervise-$version"
export PG_SUPPORTED_VERSIONS=$PGV
pg_buildext updatecontrol
grep -q "^Package: postgresql-$PGV-supervise$" debian/control \
  || { echo "not ok - debian/control has no postgresql-$PGV-supervise"; exit 1; }
if ! dpkg-buildpackage -us -uc -b >"$work/build.log" 2>&1; then
  tail -40 "$work/build.log"; echo "not ok - dpkg-buildpackage"; exit 1
fi
deb=$(ls "$work"/postgresql-"$PGV"-supervise_"$version"*_*.deb)
mkdir -p "$out"; cp "$deb" "$out/"
echo "ok - built $(basename "$deb") ($(du -k "$deb" | cut -f1) kB)"
listing=$(dpkg-deb -c "$deb")
for f in "/usr/share/postgresql/$PGV/extension/supervise.control" "/usr/share/postgresql/$PGV/extension/supervise--$version.sql" \
         "/usr/lib/postgresql/$PGV/lib/supervise.so"; do
  grep -q " \.$f\$" <<<"$listing" || { echo "not ok - the package lacks $f"; exit 1; }
done
echo "ok - the package holds the control file, the $version install script and the module"

cd "$top"
DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "$deb" >"$work/install.log" 2>&1 \
  || { cat "$work/install.log"; echo "not ok - apt-get install $(basename "$deb")"; exit 1; }
trap 'DEBIAN_FRONTEND=noninteractive apt-get remove -y -qq "postgresql-$PGV-supervise" >/dev/null 2>&1; rm -rf "$work"' EXIT
dpkg-query -W -f='${Status}' "postgresql-$PGV-supervise" | grep -q "install ok installed" \
  || { echo "not ok - postgresql-$PGV-supervise is not installed"; exit 1; }
echo "ok - apt-get installed postgresql-$PGV-supervise"

# the package's files, not a build of the tree: each installed file is the package's own
dpkg --verify "postgresql-$PGV-supervise" || { echo "not ok - installed files differ from the package"; exit 1; }

got=$(pg_virtualenv -t -v "$PGV" -i "--encoding=UTF8 --no-locale" psql -X -At -v ON_ERROR_STOP=1 2>&1 <<'SQL'
CREATE EXTENSION supervise;
SET search_path = supervise, public;
SELECT count(*) >= 0 FROM generate_sample(2000, seed => 7);
SELECT d.id AS dep FROM department d WHERE d.code = 'SAMR-350203' \gset
-- a task of this year, from today to its end
INSERT INTO plan (department_id, year, title, approved_on)
VALUES (:dep, extract(year FROM current_date), 'package test plan', current_date) RETURNING id AS plan \gset
INSERT INTO task (plan_id, department_id, title, period_start, period_end, approved_on, sample_ratio, directory_id)
SELECT :plan, :dep, 'package test task', current_date, make_date(extract(year FROM current_date)::int, 12, 31), current_date, 0.05, dir.id
  FROM directory dir WHERE dir.department_id = :dep RETURNING id AS task \gset
INSERT INTO task_item (task_id, item_id) SELECT :task, id FROM check_item WHERE department_id = :dep AND code = 'SC-01';
SELECT draw(:task, seed_from('package test')) AS draw_id \gset
SELECT 'draw ' || target_count || ' targets of ' || population_size || ', verifies ' || verify_draw(:draw_id)
  FROM v_draw_disclosure WHERE draw_id = :draw_id;
SELECT 'module ' || probin FROM pg_proc WHERE proname = 'uscc_in' AND pronamespace = 'supervise'::regnamespace;
SQL
) || { echo "$got"; echo "not ok - the packaged extension failed"; exit 1; }
echo "$got" | grep -qE '^draw [1-9][0-9]* targets of [0-9]+, verifies true$' \
  || { echo "$got"; echo "not ok - no verified draw from the packaged extension"; exit 1; }
echo "ok - PostgreSQL $PGV: CREATE EXTENSION supervise from the package, $(echo "$got" | grep '^draw ')"
