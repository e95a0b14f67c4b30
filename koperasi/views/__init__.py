"""The cooperative's pages: thin views over `koperasi.simpanan` and `koperasi.rapat` (writes)
and `koperasi.queries` (figures). Members and kelurahan are read through the register's scope
rules (`members.views`): a reader sees what `for_user` allows, only an officer of the
cooperative (`managed_by`) writes."""
