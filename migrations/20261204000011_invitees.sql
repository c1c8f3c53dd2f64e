-- The name an admin typed when inviting someone (R-INV1), shown in that team until the
-- person accepts; NULL once they have, and for members who joined otherwise. Another
-- team's name for the same account, or the one its owner chose, is none of this team's
-- business before the person joins.
ALTER TABLE memberships ADD COLUMN invited_name TEXT;

-- Who gave a person Flex (R-INV2's "who assigned what" for pending invitations), as
-- assignments.assigned_by does for seats; NULL for the command line, the demo and rows
-- written before this column.
ALTER TABLE flex_users ADD COLUMN assigned_by TEXT REFERENCES accounts(id);
