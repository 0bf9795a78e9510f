// flow tests below
