"""The admin at ``/admin``: a password login, a signed session cookie, and the moderation
of every site's comments (list, search, approve, spam, hold, delete, edit)."""
