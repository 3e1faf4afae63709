"""Responses of a real ispmanager 6 quoted by the spec (docs: ../shared/spec/ispmanager-api.md,
§2.2-§2.4 and §3.7; captured sjson responses published as test data of an open-source
ispmanager client). Only data, reproduced for field-by-field comparison.

Note: in the captured webdomain list the publisher removed all whitespace from display
values ("Notused" for "Not used"); comparisons strip whitespace from our values for those.
"""

# §2.4: wrong credentials (verbatim)
ERROR_BADPASSWORD = (
    '{"doc":{"error":{"$type":"auth","$object":"badpassword","$lang":"en",'
    '"detail":{"$":"Invalid username or password "},"msg":{"$":"Invalid username or password "},'
    '"param":[{"$name":"object","$type":"msg","$":"badpassword"},'
    '{"$name":"value","$":"remote_addr: [1.2.3.4]"}]}}}'
)

# §2.2: a successful group operation (user.suspend; user.resume/user.delete are identical
# apart from $func and tparams.func)
USER_SUSPEND_OK = (
    '{"doc":{"$lang":"en","$func":"user.suspend","$binary":"/ispmgr","$host":"https://fake-site.com:1500",'
    '"$themename":"dragon","$features":"ed13fed30f9503fcf2cdf0415231f846","$notify":"",'
    '"$theme":"/manimg/dragon/","$css":"main.css","$logo":"logo.png","$logolink":"https://fake-site.com",'
    '"$favicon":"favicon.ico","$localdir":"local_bcb801722638/","ok":{},"saved_filters":{},'
    '"tparams":{"elid":{"$":"user0"},"func":{"$":"user.suspend"},"out":{"$":"sjson"}}}}'
)

# session.newkey success: the key is echoed in tparams
SESSION_NEWKEY_OK = (
    '{"doc":{"$lang":"en","$func":"session.newkey","$binary":"/ispmgr","$host":"https://fake-site.com:1500",'
    '"$themename":"dragon","$features":"ed13fed30f9503fcf2cdf0415231f846","$notify":"",'
    '"$theme":"/manimg/dragon/","$css":"main.css","$logo":"logo.png","$logolink":"https://fake-site.com",'
    '"$favicon":"favicon.ico","$localdir":"local_bcb80b722638/","ok":{},"saved_filters":{},'
    '"tparams":{"func":{"$":"session.newkey"},"key":{"$":"23d5a822f913171ee6e7ba691edf33e9"},'
    '"out":{"$":"sjson"}}}}'
)

# §2.3 / §3.7: one element of the webdomain list (whitespace removed by the publisher)
WEBDOMAIN_ELEM = (
    '{"active":{"$":"on"},"analyzer":{"$":"off"},"database":{"$orig":"db_not_assigned","$":"Notused"},'
    '"docroot":{"$":"/var/www/user0/data/www/testsite.ru"},"handler":{"$":"PHPFastCGI(Nginx+PHP-FPM)8.2.6(alt)"},'
    '"id":{"$":"1"},"ipaddr":{"$":"192.168.0.1"},"name":{"$":"testsite.ru"},"owner":{"$":"user0"},'
    '"php":{"$":"PathtoPHP:/opt/php82/bin/php."},"php_mode":{"$":"php_mode_fcgi_nginxfpm"},'
    '"php_version":{"$":"8.2.6(alt)"},"secure":{"$":"on"},"ssl_issued_success":{},"webscript_status":{}}'
)

# top-level children of that webdomain list document (metadata content omitted)
WEBDOMAIN_DOC_KEYS = [
    "$lang",
    "$func",
    "$binary",
    "$host",
    "$themename",
    "$features",
    "$notify",
    "$favorite",
    "$pin",
    "$theme",
    "$css",
    "$logo",
    "$logolink",
    "$favicon",
    "$localdir",
    "elem",
    "messages",
    "metadata",
    "p_cnt",
    "p_elems",
    "p_num",
    "p_order",
    "p_possible_filters",
    "p_sort",
    "page",
    "saved_filters",
    "tips",
    "tparams",
]
WEBDOMAIN_TPARAMS = {"func": {"$": "webdomain"}, "out": {"$": "sjson"}}
