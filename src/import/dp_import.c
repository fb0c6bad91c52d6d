/* placeholder: being written */
typedef int dp_placeholder_dp_import;
