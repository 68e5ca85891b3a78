import Foundation
import LunaModel
import Testing

/// Secret shapes and look-alikes, assembled from parts so no string in the
/// repository looks like a real credential to a secret scanner.
enum SecretShapes {
    /// Random-looking filler of a given length (deterministic).
    static func filler(_ n: Int, alphabet: String = "aB3dE5fG7hJ9kL2mN4pQ6rS8tU0vW1xY") -> String {
        let chars = Array(alphabet)
        return String((0..<n).map { chars[($0 * 7 + 3) % chars.count] })
    }

    static let hex40 = filler(40, alphabet: "0123456789abcdef")
    static let b64x40 = filler(38) + "/+"
    static let jwt = "eyJ" + "hbGciOiJIUzI1NiJ9" + "." + "eyJ" + "zdWIiOiJsdW5hIn0" + "." + filler(22)

    /// (what, the text as it would appear, the secret that must not survive).
    static let secrets: [(String, String, String)] = [
        ("bearer header", "Authorization: Bearer bt0l4IEYrBQ8VOK8dfD9Usboye01EK3g", "bt0l4IEYrBQ8VOK8dfD9Usboye01EK3g"),
        ("bearer header in a commented config line", "# Authorization: Bearer bt0l4IEYrBQ8VOK8dfD9Usboye01EK3g", "bt0l4IEYrBQ8VOK8dfD9Usboye01EK3g"),
        ("bearer in curl -H", #"curl -H "Authorization: Bearer \#(filler(30))" https://api.example.invalid/v1"#, filler(30)),
        ("basic header", "Authorization: Basic " + "bHVuYTpodW50ZXIy" + "X3Bhc3M=", "bHVuYTpodW50ZXIyX3Bhc3M="),
        ("token header", "Authorization: Token tok_" + filler(24), "tok_" + filler(24)),
        ("digest header", #"Authorization: Digest username="luna", realm="ops", nonce="dcd98b7102dd2f0e", response="6629fae49393a05397450978507c4ef1""#,
         "6629fae49393a05397450978507c4ef1"),
        ("unknown scheme", "Authorization: Custom9 k3y-" + filler(20), "k3y-" + filler(20)),
        ("proxy-authorization", "Proxy-Authorization: Basic " + "cHJveHk6c2VjcmV0UGFzczE=", "cHJveHk6c2VjcmV0UGFzczE="),
        ("json authorization", #"{"headers": {"Authorization": "Bearer \#(filler(28))"}}"#, filler(28)),
        ("x-api-key header", "X-Api-Key: " + filler(32), filler(32)),
        ("api-key header", "api-key: " + "AzureKey" + filler(24), "AzureKey" + filler(24)),
        ("private-token header", "PRIVATE-TOKEN: " + filler(20, alphabet: "abcdefXYZ123"), filler(20, alphabet: "abcdefXYZ123")),
        ("cookie header", "Cookie: sessionid=" + filler(26) + "; csrftoken=" + filler(18, alphabet: "0123456789ABCDEF"), filler(26)),
        ("cookie header second value", "Cookie: theme=dark; csrftoken=" + filler(18, alphabet: "0123456789ABCDEF"), filler(18, alphabet: "0123456789ABCDEF")),
        ("set-cookie header", "Set-Cookie: session=" + filler(30) + "; Path=/; HttpOnly; Secure", filler(30)),
        ("mysql -p", "mysql -u app -pS3cretDbPass! -h db.internal app", "S3cretDbPass!"),
        ("mysqldump -p quoted", "mysqldump -u root -p'Qu0ted pass' --all-databases", "Qu0ted pass"),
        ("--password value", "pg_dump --password hunter2x --host db", "hunter2x"),
        ("--password=value", "wget --password=W3tPassw0rd https://x.invalid/f", "W3tPassw0rd"),
        ("--db-password=value", "app migrate --db-password=Mig-" + filler(10), "Mig-" + filler(10)),
        ("--token value", "vault login --token " + filler(24), filler(24)),
        ("PGPASSWORD env", "PGPASSWORD=pg-Secret-991 psql -h db -U app", "pg-Secret-991"),
        ("MYSQL_PWD env", "MYSQL_PWD=my5ql_pwd_v4lue mysql -u app", "my5ql_pwd_v4lue"),
        ("sshpass -p", "sshpass -p 'Ssh pass 77' ssh luna@web1 uptime", "Ssh pass 77"),
        ("sshpass -pX", "sshpass -pSshPass88 ssh web1", "SshPass88"),
        ("redis-cli -a", "redis-cli -h cache -a R3disAuth! ping", "R3disAuth!"),
        ("curl -u", "curl -u admin:Curl-Pa55 https://jenkins.invalid/api", "Curl-Pa55"),
        ("openssl pass:", "openssl rsa -in k.pem -passin pass:0penSSLpass", "0penSSLpass"),
        ("htpasswd -b", "htpasswd -b /etc/nginx/.htpasswd admin Htp4sswd", "Htp4sswd"),
        ("redis requirepass", "requirepass Redis-Req-" + filler(8), "Redis-Req-" + filler(8)),
        ("netrc", "machine api.example.invalid login luna password N3trcPass", "N3trcPass"),
        ("jwt", "token=" + jwt, String(jwt.suffix(22))),
        ("jwt bare", "saw " + jwt + " in the log", jwt),
        ("github classic", "remote uses gh" + "p_" + filler(36), "p_" + filler(36)),
        ("github fine-grained", "github_" + "pat_" + filler(22) + "_" + filler(59), filler(59)),
        ("github app token", "gh" + "s_" + filler(36), "s_" + filler(36)),
        ("gitlab pat", "glpat" + "-" + filler(20), filler(20)),
        ("gitlab runner", "glrt" + "-" + filler(24), filler(24)),
        ("slack bot", "xox" + "b-" + "1234567890-" + filler(24), filler(24)),
        ("slack webhook", "https://hooks.slack.com/services/" + "T0000AAAA/B0000BBBB/" + filler(24), filler(24)),
        ("discord bot token", "bot token MTA5" + filler(21) + "." + "GhIjKl" + "." + filler(38), filler(38)),
        ("discord webhook", "https://discord.com/api/webhooks/123456789012345678/" + filler(60), filler(60)),
        ("anthropic", "sk-" + "ant-api03-" + filler(80), filler(80)),
        ("openai project", "sk-" + "proj-" + filler(48), filler(48)),
        ("openai legacy", "OPENAI=sk-" + filler(48), filler(48)),
        ("aws access key id", "AKIA" + "Z7XQ4B2M9KD3LP5N", "Z7XQ4B2M9KD3LP5N"),
        ("aws secret in credentials file", "aws_secret_access_key = " + b64x40, b64x40),
        ("aws secret beside its id (csv)", "luna,AKIA" + "Z7XQ4B2M9KD3LP5N," + b64x40, b64x40),
        ("aws sts json", #"{"AccessKeyId": "ASIA\#(filler(16, alphabet: "ABCDEFGH23456789"))", "SecretAccessKey": "\#(b64x40)", "SessionToken": "IQoJb3JpZ2luX2Vj\#(filler(40))"}"#, b64x40),
        ("gcp api key", "AIza" + "Sy" + filler(33), filler(33)),
        ("gcp oauth client secret", "GOCSPX" + "-" + filler(28), filler(28)),
        ("gcp oauth refresh token", "refresh: 1//0" + "g" + filler(60), filler(60)),
        ("gcp access token", "ya29" + "." + filler(40), filler(40)),
        ("stripe live", "sk_" + "live_" + filler(24), filler(24)),
        ("vault token", "hvs" + "." + filler(24), filler(24)),
        ("npm token", "//registry.npmjs.org/:_authToken=npm_" + filler(36), filler(36)),
        ("env PASSWORD", "DB_PASSWORD=s3cr3t-value", "s3cr3t-value"),
        ("env weak password", "ADMIN_PASSWORD=changeme", "changeme"),
        ("export quoted", #"export API_KEY="abc123def456""#, "abc123def456"),
        ("yaml password", "database:\n  password: Yaml-Pass-42 # prod", "Yaml-Pass-42"),
        ("yaml token quoted", "  api_token: '" + filler(30) + "'", filler(30)),
        ("json secret", #"{"client_secret": "Cl1ent-\#(filler(20))", "client_id": "luna"}"#, "Cl1ent-" + filler(20)),
        ("toml password", #"password = "T0ml pass phrase""#, "T0ml pass phrase"),
        ("ini passphrase spaced", "passphrase = correct horse battery staple", "correct horse battery staple"),
        ("camelCase dbPassword", "dbPassword: ' Leading-Space-Pass1'", "Leading-Space-Pass1"),
        ("java property", "java -Dspring.datasource.password=J4va-Pass -jar app.jar", "J4va-Pass"),
        ("connection string", "Server=db;User Id=app;Password=C0nnStr1ng!;Encrypt=true", "C0nnStr1ng!"),
        ("url query token", "GET /callback?access_token=" + filler(32) + "&state=x", filler(32)),
        ("weak key, random value", "auth: " + filler(32), filler(32)),
        ("k8s secret data", "data:\n  password: " + "cGFzc3dvcmQxMjM0NTY=", "cGFzc3dvcmQxMjM0NTY="),
        ("url userinfo", "postgres://app:pa55word@db.internal/app", "pa55word"),
        ("url userinfo with @", "https://deploy:p@ss-w0rd@git.example.invalid/repo.git", "p@ss-w0rd"),
        ("url token as user", "https://" + filler(40) + "@github.com/org/repo.git", filler(40)),
        ("redis url empty user", "redis://:R3disUrlPass@cache:6379/0", "R3disUrlPass"),
        ("pem rsa", "-----BEGIN RSA " + "PRIVATE KEY-----\nMIIEow" + filler(40) + "\n-----END RSA " + "PRIVATE KEY-----", filler(40)),
        ("pem openssh", "-----BEGIN OPENSSH " + "PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjEAAAAA\n-----END OPENSSH " + "PRIVATE KEY-----", "b3BlbnNzaC1rZXktdjEAAAAA"),
        ("pem cut before its end", "cat key.pem\n-----BEGIN " + "PRIVATE KEY-----\nMIIEvQ" + filler(60) + "\n[cut at 4000 bytes]", filler(60)),
        ("pem in json", #"{"private_key": "-----BEGIN \#("PRIVATE KEY-----")\nMIIEvg\#(filler(30))\n-----END \#("PRIVATE KEY-----")\n"}"#, filler(30)),
        ("pgp private block", "-----BEGIN PGP " + "PRIVATE KEY BLOCK-----\n\nlQdGBF" + filler(30) + "\n-----END PGP " + "PRIVATE KEY BLOCK-----", filler(30)),
        ("shadow hash", "root:$6$" + "s4lt" + filler(8) + "$" + filler(43) + ":19000:0:99999:7:::", filler(43)),
        ("bearer in prose", "retry with bearer " + filler(26) + " now", filler(26)),
        ("xml password element", "<server><id>repo</id><username>ci</username><password>Xml-Pa55word</password></server>", "Xml-Pa55word"),
        ("xml attribute", #"<user username="admin" password="T0mcatPw" roles="manager-gui"/>"#, "T0mcatPw"),
        ("rails secret_key_base", "SECRET_KEY_BASE=" + hex40, hex40),
        ("wpa passphrase", "wpa_passphrase=MyWifiPass99", "MyWifiPass99"),
        ("wpa psk quoted", #"psk="wifi secret 2""#, "wifi secret 2"),
        ("docker config auth", #"{"auths": {"registry.invalid": {"auth": "dXNlcjpwYXNzd29yZA=="}}}"#, "dXNlcjpwYXNzd29yZA=="),
        ("kubeconfig client-key-data", "    client-key-data: LS0tLS1CRUdJTi" + filler(30), filler(30)),
        ("npmrc _password", "//registry.invalid/:_password=" + "bnBtUGFzczE=", "bnBtUGFzczE="),
        ("pgpass line", "db.internal:5432:app:app:Pgp4ss-word", "Pgp4ss-word"),
        ("nslcd bindpw", "bindpw Ld4pBindPw", "Ld4pBindPw"),
        ("argv json --password", #"["/usr/bin/pg_dump", "--password", "Js0nArgvPw", "app"]"#, "Js0nArgvPw"),
        ("argv json mysql -p", #"["/usr/bin/mysql", "-uroot", "-pJs0nMysqlPw"]"#, "Js0nMysqlPw"),
    ]

    /// Text that must come back unchanged.
    static let lookAlikes: [(String, String)] = [
        ("sudoers NOPASSWD", "luna ALL = (root) NOPASSWD: /usr/bin/cat /etc/app.conf, LUNA_FIX"),
        ("sudoers NOPASSWD alias first", "luna ALL = (root) NOPASSWD: LUNA_FIX, /usr/bin/stat *"),
        ("sudoers PASSWD", "luna ALL = (root) PASSWD: LUNA_ADMIN"),
        ("sudoers stacked tags", "luna ALL = (root) NOPASSWD:SETENV: /usr/local/bin/deploy"),
        ("sudoers NOEXEC", "%ops ALL = NOEXEC: /usr/bin/less /var/log/syslog"),
        ("sudoers digest hex", "luna ALL = sha256:" + String(repeating: "0a1b2c3d", count: 8) + " /usr/bin/id"),
        ("sudoers digest base64", "luna ALL = sha224:0GomF8mNN3wlDt1HD9XldjJ3SNgpFdbjO1+NsQ== /bin/ls"),
        ("sudoers passwd_tries", "Defaults passwd_tries=3, passwd_timeout=1.5"),
        ("sudoers passprompt", #"Defaults passprompt="[sudo] password for %p: ""#),
        ("sudoers alias named for tokens", "Cmnd_Alias ROTATE_TOKEN = /usr/local/bin/rotate-token"),
        ("sudoers env_keep", #"Defaults env_keep += "PGPASSWORD""#),
        ("password_hash_algorithm", "password_hash_algorithm = bcrypt"),
        ("sshd PasswordAuthentication", "PasswordAuthentication no"),
        ("sshd KbdInteractive", "KbdInteractiveAuthentication no\nPermitEmptyPasswords no"),
        ("nsswitch passwd", "passwd:         files systemd"),
        ("nsswitch shadow", "shadow:         files\ngshadow:        files"),
        ("nsswitch with action", "passwd: files [NOTFOUND=return] ldap"),
        ("token_count", "token_count: 12"),
        ("max_tokens", "max_tokens = 1024\ndaily_token_budget = 200000"),
        ("api_version", "api_version=2"),
        ("git commit sha", "commit 572fbe9c1d2e3f4a5b6c7d8e9f0a1b2c3d4e5f60 (HEAD -> main)"),
        ("uuid in a path", "/var/lib/docker/volumes/3f2c9a1e-7b4d-4e8a-9c6f-1a2b3c4d5e6f/_data"),
        ("sha256 digest", "sha256:9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08"),
        ("ordinary prose", "The password policy requires 12 characters; rotate the API token monthly and keep secrets in the vault."),
        ("prose with colon", "Remember the password: it must be long."),
        ("authorization prose", "Authorization: required for admin endpoints"),
        ("password file path", "password_file = /run/secrets/db_password"),
        ("key file path", "ssl_key_file: /etc/ssl/private/web.key"),
        ("PWD env", "PWD=/home/luna\nOLDPWD=/tmp"),
        ("env reference", "DB_PASSWORD=${DB_PASSWORD}\nAPI_TOKEN=$API_TOKEN"),
        ("template reference", "password: \"{{ vault_db_password }}\""),
        ("github actions secret ref", "token: ${{ secrets.GITHUB_TOKEN }}"),
        ("masked value", "password: ********"),
        ("boolean secret flag", "secret: false\nrequire_token: true"),
        ("secretName in k8s", "secretName: web-tls\nsecretKeyRef:\n  name: db"),
        ("token_type bearer", #"{"token_type": "Bearer", "expires_in": 3600}"#),
        ("luna toml", "key_file = \"/etc/luna/llm-key\"\ntoken_file = \"/etc/luna/discord-token\""),
        ("mysql port flag", "mysql -P 3306 -h db -u app -p app_db"),
        ("password-file flag", "restic --password-file /etc/restic/pass backup /srv"),
        ("no-password flag", "pg_dump --no-password -h db"),
        ("ssh public key", "public_key: ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIB7vX9 luna@ops"),
        ("url without password", "https://luna@git.example.invalid/ops.git and https://example.invalid/a:b@c"),
        ("http url with port", "http://127.0.0.1:8080/path?x=1"),
        ("weak key, plain value", "key: app\nauth: none"),
        ("passwd command", "/usr/bin/passwd -l luna"),
        ("base64 in a sudoers digest alias", "Cmnd_Alias LS = sha256:OGZkMTk1YzU4NWJlNmJkYTJkYjJlOTQ1NDg1ZTU4Zjk= /bin/ls"),
        ("chmod argv json", #"["/usr/bin/chmod", "0600", "/etc/app.conf"]"#),
        ("file mode finding", "/etc/app.conf: mode 0644, reference 0600"),
        ("sudo -u root", "sudo -n -u root -- /usr/bin/stat -c %04a /etc/app.conf"),
        ("bypass word", "bypass: true"),
        ("ip address and time", "Accepted publickey for luna from 192.0.2.10 port 51234 at 12:30:45"),
        ("sshd host key path", "ssh_host_ed25519_key: /etc/ssh/ssh_host_ed25519_key\nHostKey /etc/ssh/ssh_host_rsa_key"),
        ("auth log lines", "Failed password for invalid user admin from 192.0.2.1 port 22 ssh2\npam_unix(sshd:auth): authentication failure; logname= uid=0"),
        ("pam stack", "auth       required   pam_unix.so nullok\npassword   required   pam_unix.so sha512 shadow"),
        ("password flag from a variable", #"pg_dump --password "$PW" app"#),
        ("token ttl and template", "auth_token_ttl: 3600\ncsrf_token: {{ csrf_token() }}"),
        ("erb reference", "secret_key_base: <%= ENV['SECRET_KEY_BASE'] %>"),
        ("apt keyring and repo key url", "signed-by=/etc/apt/keyrings/docker.asc\ngpgkey=https://download.docker.com/linux/centos/gpg"),
        ("a secret's name, not its value", "secretName: web-tls-2024\nsecret_ref: prod/db/password"),
        ("crontab line", "*/5 * * * * root /usr/local/bin/backup --config /etc/backup.conf"),
        ("time-like pgpass look-alike", "backup: 12:30:00 daily"),
        ("passwd and group lines", "root:x:0:0:root:/root:/bin/bash\nluna:x:998:998:Luna agent:/var/lib/luna:/usr/sbin/nologin\nsudo:x:27:luna"),
        ("a host named sk-", "ssh sk-production-database-01 uptime"),
        ("xml elements that are not secrets", "<server><id>repo</id><username>ci</username><passwordFile>/etc/ci/pw</passwordFile></server>"),
    ]
}

@Suite("redaction: secret shapes and look-alikes")
struct RedactionTableTests {
    @Test func atLeastFortyOfEach() {
        #expect(SecretShapes.secrets.count >= 40)
        #expect(SecretShapes.lookAlikes.count >= 40)
    }

    @Test(arguments: SecretShapes.secrets.map { [$0.0, $0.1, $0.2] })
    func secretShapeIsRedacted(_ c: [String]) {
        let (what, text, secret) = (c[0], c[1], c[2])
        let out = Redactor().redact(text)
        #expect(!out.contains(secret), "\(what): '\(secret)' survived in: \(out)")
        #expect(out.contains("[REDACTED-"), "\(what): no placeholder in: \(out)")
    }

    @Test(arguments: SecretShapes.lookAlikes.map { [$0.0, $0.1] })
    func lookAlikeSurvives(_ c: [String]) {
        let out = Redactor().redact(c[1])
        #expect(out == c[1], "\(c[0]) was changed:\n\(c[1])\n→\n\(out)")
    }

    @Test func theSchemeStaysVisibleAndTheKeyStays() {
        let r = Redactor()
        #expect(r.redact("Authorization: Bearer bt0l4IEYrBQ8VOK8dfD9Usboye01EK3g") == "Authorization: Bearer [REDACTED-1]")
        #expect(r.redact("Authorization: Basic bHVuYTpwYXNzd29yZA==") == "Authorization: Basic [REDACTED-2]")
        #expect(r.redact("mysql -u app -pS3cretDbPass!") == "mysql -u app -p[REDACTED-3]")
        #expect(r.redact("Set-Cookie: sid=abcdef0123456789; Path=/; HttpOnly") == "Set-Cookie: sid=[REDACTED-4]; Path=/; HttpOnly")
        #expect(r.redact("https://u:p4ss@h/x") == "https://u:[REDACTED-5]@h/x")
    }

    @Test func aSudoersRuleKeepsEveryCommand() {
        let rule = "luna ALL = (root) NOPASSWD: /usr/bin/cat /etc/app.conf, /usr/bin/stat *, LUNA_FIX\n"
        #expect(Redactor().redact(rule) == rule)
    }

    @Test func placeholdersAreNotRedactedAgain() {
        let r = Redactor(exactSecrets: ["Exact-Secret-1"])
        let once = r.redact("TOKEN=Exact-Secret-1\npassword: [REDACTED-1]\nAuthorization: Bearer Exact-Secret-1")
        #expect(once == "TOKEN=[REDACTED-1]\npassword: [REDACTED-1]\nAuthorization: Bearer [REDACTED-1]", "\(once)")
        #expect(r.redact(once) == once, "redacting twice changes nothing")
        #expect(r.count == 1)
    }

    @Test func anExactSecretIsFoundInsideJSONToo() throws {
        let secret = #"pa"ss/wo\rd-1"#
        let r = Redactor(exactSecrets: [secret])
        let json = String(decoding: try JSONSerialization.data(withJSONObject: ["argv": ["/usr/bin/tool", secret]]), as: UTF8.self)
        #expect(!json.contains(secret), "the test needs an escaped form: \(json)")
        let out = r.redact(json + "\n" + secret)
        #expect(!out.contains("ss"), "\(out)")
        #expect(out.components(separatedBy: "[REDACTED-1]").count == 3, "one placeholder for every form: \(out)")
    }

    @Test func booleanEnvValuesAreNotExactSecrets() {
        let r = Redactor(exactSecrets: Redactor.envValues("DEBUG=true\nAPP_KEY=Real-Value-123\n"))
        #expect(r.redact("verbose=true Real-Value-123") == "verbose=true [REDACTED-1]")
    }
}

@Suite("redaction: cost")
struct RedactionCostTests {
    /// Recon and tool output are bounded (about 24 KB and 4 KB), but every turn of a
    /// conversation and every outbound text is redacted: the cost must stay linear.
    @Test func aLargeMixedTextIsRedactedInLinearTime() {
        let block = (SecretShapes.secrets.map(\.1) + SecretShapes.lookAlikes.map(\.1)).joined(separator: "\n") + "\n"
        let small = String(repeating: block, count: 2)
        let large = String(repeating: block, count: 16)
        let clock = ContinuousClock()
        // The best of three runs each: other tests share the CPU.
        func best(_ text: String) -> Duration { (0..<3).map { _ in clock.measure { _ = Redactor().redact(text) } }.min()! }
        let t1 = best(small), t8 = best(large)
        print("redaction: \(small.utf8.count) bytes in \(t1), \(large.utf8.count) bytes in \(t8)")
        // 8× the text: about 8× the time when linear (18× seen under the full parallel suite), 64× when quadratic.
        #expect(t8 < t1 * 40, "\(t1) vs \(t8)")
    }
}
