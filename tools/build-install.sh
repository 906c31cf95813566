# Sourced by tools/demo.sh and bench/run.sh: installs missing packages, takes the machine-wide
# install lock (held until the sourcing script exits: `make install` writes into the shared
# PostgreSQL directories) and builds and installs supervise.
PGV=$(tools/ensure-packages.sh)
export PGV PG_CONFIG=/usr/lib/postgresql/$PGV/bin/pg_config
exec 9>/tmp/supervise-install.lock
flock 9
make -s -j2 >/dev/null && make -s install >/dev/null
