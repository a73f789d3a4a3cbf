# One MariaDB node of docker-compose.yml's `mariadb` and `mariadb-ring` profiles, or the first node of its `galera`
# profile (the joiners receive its users with their state transfer), set up on its first start (an empty data
# volume): the official image's entrypoint runs /docker-entrypoint-initdb.d/ on the temporary server it starts for
# that, as root. This file is not executable, so the entrypoint sources it rather than running it:
# docker_process_sql and docker_sql_escape_string_literal are the entrypoint's own.
#
# The SQL is the native harnesses' (stack/mariadb/, mounted at /etc/mariadb-sql): users.sql on every node, then
# replicate-from.sql on a node with a SOURCE_HOST. Each ${PLACEHOLDER} of a statement takes the value of the
# variable of the same name (docker-compose.yml sets them), escaped for a string literal.

if ! declare -F docker_process_sql > /dev/null; then
	echo "$0: the mariadb image's entrypoint sources this file (not executable); it cannot run alone" >&2
	exit 1
fi

# The statements of a file of /etc/mariadb-sql, its comments dropped and its placeholders filled.
mariadb_sql_filled() {
	local file=$1 sql name value
	sql=$(grep -v '^--' "$file")
	for name in $(grep -o '\${[A-Z_]*}' <<< "$sql" | tr -d '${}' | sort -u); do
		if [ -z "${!name:-}" ]; then
			mysql_error "$file: no value for \${$name}: set $name"
		fi
		value=$(docker_sql_escape_string_literal "${!name}")
		# The replacement quoted: bash 5.2 would otherwise read a & in a value as the matched text.
		sql=${sql//"\${$name}"/"$value"}
	done
	printf '%s\n' "$sql"
}

mysql_note "$0: the app's database and users (users.sql)"
users_sql=$(mariadb_sql_filled /etc/mariadb-sql/users.sql)
docker_process_sql <<< "$users_sql"
if [ -n "${SOURCE_HOST:-}" ]; then
	# START SLAVE here, on the temporary server, and the server started next resumes replicating by itself. A
	# source that is not up yet (a ring's first node replicates from its last) is retried every second.
	mysql_note "$0: replicating from $SOURCE_HOST (replicate-from.sql)"
	replicate_sql=$(mariadb_sql_filled /etc/mariadb-sql/replicate-from.sql)
	docker_process_sql <<< "$replicate_sql"
fi
