#!/bin/sh
# A verified full backup of the portal's database into DIR, then rotation: only the newest KEEP
# backups stay (one a day from checklist-backup.timer, so KEEP days). A failed backup deletes
# nothing. Backups hold access-code and password hashes: DIR is readable by its owner only.
#
# Usage: backup-rotate.sh DIR [KEEP]        KEEP defaults to 14
# Environment: CHECKLIST_COMMAND (default: checklist), and the service's own (CHECKLIST_DB ...).
set -eu

dir=${1:?usage: backup-rotate.sh DIR [KEEP]}
keep=${2:-14}
case $keep in
    '' | *[!0-9]* | 0) echo "backup-rotate.sh: KEEP must be a whole number of at least 1" >&2; exit 2 ;;
esac
checklist=${CHECKLIST_COMMAND:-checklist}

umask 077
mkdir -p "$dir"
$checklist backup "$dir/checklist-$(date +%Y%m%d-%H%M%S).db"

# The name is the time: newest first by name, and everything after the first KEEP goes.
ls -1 "$dir" | grep -E '^checklist-[0-9]{8}-[0-9]{6}\.db$' | sort -r | tail -n "+$((keep + 1))" |
    while read -r old; do
        rm -f -- "$dir/$old"
        echo "removed old backup $dir/$old"
    done
