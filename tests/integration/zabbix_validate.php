<?php
/*
 * Checks a Zabbix export file with the Zabbix frontend's own code, without
 * a database or a web server: the YAML reader and the import validator of
 * the export's version (structure, tags, constants), then every trigger
 * expression with the expression parser and validator and every item key
 * with the item key parser, as the API does on import.
 *
 *   php zabbix_validate.php FILE.yaml
 *
 * ZABBIX_FRONTEND names the frontend's directory (default /usr/share/zabbix,
 * Debian's zabbix-frontend-php).  Prints "OK <version> <n> expressions <m>
 * keys" and exits 0, or prints "INVALID: <reason>" and exits 1.
 */
$root = getenv('ZABBIX_FRONTEND') ?: '/usr/share/zabbix';
foreach (['vendor/autoload.php', 'include/defines.inc.php',
    'include/func.inc.php', 'include/gettextwrapper.inc.php'] as $f) {
	if (!is_file($root.'/'.$f)) {
		fwrite(STDERR, "$root/$f missing: is zabbix-frontend-php installed?\n");
		exit(2);
	}
	require_once $root.'/'.$f;
}
spl_autoload_register(function ($class) use ($root) {
	static $map = null;
	if ($map === null) {
		$map = [];
		$it = new RecursiveIteratorIterator(
		    new RecursiveDirectoryIterator($root.'/include/classes'));
		foreach ($it as $f) {
			if (substr($f, -4) === '.php')
				$map[basename($f, '.php')] = (string)$f;
		}
	}
	if (isset($map[$class]))
		require_once $map[$class];
});

function check_expression(string $expr, bool $lld, string $where): void {
	$parser = new CExpressionParser(['usermacros' => true,
	    'lldmacros' => $lld]);
	if ($parser->parse($expr) != CParser::PARSE_SUCCESS)
		throw new Exception("$where: ".$parser->getError());
	$validator = new CExpressionValidator(['usermacros' => true,
	    'lldmacros' => $lld]);
	if (!$validator->validate($parser->getResult()->getTokens()))
		throw new Exception("$where: ".$validator->getError());
}

function check_key(string $key, string $where): void {
	$parser = new CItemKey();
	if ($parser->parse($key) != CParser::PARSE_SUCCESS)
		throw new Exception("$where: key $key: ".$parser->getError());
}

try {
	$reader = CImportReaderFactory::getReader(CImportReaderFactory::YAML);
	$data = $reader->read(file_get_contents($argv[1]));
	$validator = new CXmlValidator(
	    new CImportValidatorFactory(CImportReaderFactory::YAML),
	    CImportReaderFactory::YAML);
	$data = $validator->setStrict(true)->validate($data, '/');
	$nexpr = 0;
	$nkeys = 0;
	foreach ($data['zabbix_export']['templates'] as $t) {
		$name = $t['template'];
		foreach ($t['items'] ?? [] as $item) {
			check_key($item['key'], "$name item ".$item['name']);
			$nkeys++;
			foreach ($item['triggers'] ?? [] as $tr) {
				check_expression($tr['expression'], false,
				    "trigger ".$tr['name']);
				$nexpr++;
			}
		}
		foreach ($t['discovery_rules'] ?? [] as $rule) {
			check_key($rule['key'], "rule ".$rule['name']);
			$nkeys++;
			foreach ($rule['item_prototypes'] ?? [] as $item) {
				check_key($item['key'], "prototype ".$item['name']);
				$nkeys++;
				foreach ($item['trigger_prototypes'] ?? [] as $tr) {
					check_expression($tr['expression'], true,
					    "trigger prototype ".$tr['name']);
					$nexpr++;
				}
			}
		}
	}
	printf("OK %s %d expressions %d keys\n",
	    $data['zabbix_export']['version'], $nexpr, $nkeys);
	exit(0);
}
catch (Throwable $e) {
	echo "INVALID: ".$e->getMessage()."\n";
	exit(1);
}
