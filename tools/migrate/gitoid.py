#!/usr/bin/env python3
# One-off help for merging branches written before the git layer hid libgit2
# (issue 15): rewrites a file's git_oid uses into cts_gitoid ones (sync/gitoid.h)
# and lists the libgit2 calls left to port by hand. Usage: tools/migrate/gitoid.py FILE...
# Delete once every branch is merged.
# Convert a sync/ or audit file from libgit2's git_oid to the git layer's cts_gitoid.
import re,sys
for p in sys.argv[1:]:
    s=open(p).read(); o=s
    s=re.sub(r'git_oid_tostr\(([\w\[\]]+), sizeof\(\1\), ([^)]*)\)',r'cts_gitoid_hex(\1, \2)',s)
    s=re.sub(r'git_oid_cpy\(&([\w\->\[\]\.]+), &([^;]*)\);',r'\1 = \2;',s)
    s=re.sub(r'git_oid_cpy\(&([\w\->\[\]\.]+), ([^;]*)\);',r'\1 = *\2;',s)
    s=re.sub(r'\bgit_oid\b','cts_gitoid',s)
    s=s.replace('GIT_OID_HEXSZ','CTS_GITOID_HEXSZ')
    s=s.replace('GIT_FILEMODE_BLOB_EXECUTABLE','CTS_GIT_MODE_EXEC').replace('GIT_FILEMODE_BLOB','CTS_GIT_MODE_BLOB').replace('GIT_FILEMODE_LINK','CTS_GIT_MODE_LINK').replace('GIT_FILEMODE_COMMIT','CTS_GIT_MODE_COMMIT').replace('GIT_FILEMODE_TREE','CTS_GIT_MODE_TREE')
    s=s.replace('git_oid_equal(','cts_gitoid_equal(').replace('git_oid_fromstr(','cts_gitoid_parse(')
    s=s.replace('''		    git_object_lookup(&obj, cts_gitrepo_raw(c->repo), &since, GIT_OBJECT_COMMIT) == 0;
	git_object_free(obj);
	git_error_clear();
''','''		    cts_gitrepo_has_commit(c->repo, &since);
''')
    s=re.sub(r'\n\tgit_object \*obj = NULL;','',s)
    s=re.sub(r'if \(git_odb_hash\(&(\w+), ([^,]+), ([^,]+), GIT_OBJECT_BLOB\) < 0\) \{\n\t*a->oom = 1;\n\t*continue;\n\t*\}',r'cts_gitoid_blob(&\1, \2, \3);',s)
    if s!=o: open(p,'w').write(s); print('converted',p)
    left=[l for l in s.split('\n') if re.search(r'\bgit_[a-z_]+\(|cts_gitrepo_raw|GIT_[A-Z]',l) and 'CTSNODE_GIT' not in l]
    for l in left: print('  still:',p,l.strip())
