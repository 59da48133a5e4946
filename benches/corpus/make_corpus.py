#!/usr/bin/env python3
"""Generates the two benchmark corpora next to this file, deterministically.

    python3 benches/corpus/make_corpus.py

writes `mixed_2000.txt` (2,000 lines of 1 to 300 words: many short, a fair number of
20-80 words, some of 150-300) and `short_1000.txt` (1,000 sentences of 4 to 20 words).
The text is synthetic English built from templates and word lists over everyday topics;
the same seed always gives byte-identical files. Pure standard library, no network.

Each line is one sentence or passage: no blank lines, no tabs, ASCII only, and no line
starts with '#' (a leading '#' is a group header in the app's text format).
"""

import random
import sys
from collections import Counter
from pathlib import Path

SEED = 20240611
HERE = Path(__file__).resolve().parent

# --- people ------------------------------------------------------------------------------
# (text, plural?) so present-tense verbs agree.
PEOPLE = [
    ("I", "I"), ("you", "P"), ("we", "P"), ("they", "P"), ("she", "S"), ("he", "S"),
    ("my sister", "S"), ("my brother", "S"), ("my mother", "S"), ("my father", "S"),
    ("my grandmother", "S"), ("our neighbours", "P"), ("the old man next door", "S"),
    ("a friend of mine", "S"), ("my best friend", "S"), ("the kids", "P"), ("my cousin", "S"),
    ("Maria", "S"), ("Tom", "S"), ("Aisha", "S"), ("Kenji", "S"), ("Lucas", "S"),
    ("Priya", "S"), ("Oliver", "S"), ("Fatima", "S"), ("Daniel", "S"), ("Chloe", "S"),
    ("the new intern", "S"), ("my colleagues", "P"), ("the students", "P"),
    ("a young couple", "S"), ("most people", "P"), ("nobody", "S"), ("everyone", "S"),
    ("my uncle", "S"), ("the teacher", "S"), ("our manager", "S"), ("the whole family", "S"),
]

TIMES = [
    "yesterday", "last night", "this morning", "on Monday", "last week", "two days ago",
    "over the weekend", "after lunch", "before breakfast", "in the evening", "last summer",
    "early this year", "a few minutes ago", "on the way home", "during the holidays",
    "every Friday", "at the end of the month", "late on Sunday", "around midnight",
]

CONNECTORS = [
    "However,", "Meanwhile,", "Still,", "Later,", "Afterwards,", "In the end,",
    "To be honest,", "Of course,", "Even so,", "By the way,", "Then", "Also,", "Besides,",
    "Fortunately,", "Unfortunately,", "As a result,", "At first,", "For example,",
    "In any case,", "On the other hand,", "Apparently,", "Surprisingly,", "Luckily,",
]

OPINIONS = [
    "I think", "I guess", "honestly,", "it seems that", "my friend says", "I am sure that",
    "nobody doubts that", "people often say that", "I read somewhere that",
    "the report claims that", "I have a feeling that", "everyone agreed that",
]

INTERJECTIONS = [
    "Thanks.", "Hello.", "Sorry.", "Congratulations!", "Wow.", "Okay.", "Maybe.", "Great!",
    "Really?", "Cheers.", "Goodbye.", "Absolutely.", "Delicious!", "Why?", "Welcome!",
    "Seriously?", "Indeed.", "Perfect.", "Nope.", "Definitely.", "Hmm.", "Sure.",
]

# --- topics --------------------------------------------------------------------------------
# Each topic: things (noun phrases, singular), adjectives that fit them, actions
# (base, third person, past, objects) and a few facts (complete sentences).
TOPICS = {
    "phones": dict(
        things=["my phone", "the battery", "the new phone", "the screen", "the camera",
                "this charger", "the signal", "the app", "her old phone", "the latest update"],
        adjs=["slow", "expensive", "cracked", "brilliant", "annoying", "fast", "too heavy",
              "surprisingly good", "almost dead", "hard to use"],
        acts=[("charge", "charges", "charged", ["the phone", "the battery", "her tablet", "my earbuds"]),
              ("update", "updates", "updated", ["the app", "the operating system", "the contacts list"]),
              ("drop", "drops", "dropped", ["the phone", "a brand new tablet", "the charger"]),
              ("replace", "replaces", "replaced", ["the cracked screen", "the battery", "an old phone"]),
              ("text", "texts", "texted", ["the group chat", "an old friend", "the landlord"]),
              ("delete", "deletes", "deleted", ["a few photos", "the old messages", "that game"])],
        facts=["My phone is not good.", "The battery barely lasts a day now.",
               "Phones have become thinner but not much tougher.",
               "Most people check their phones within minutes of waking up.",
               "The camera on this model works well in low light.",
               "There is no signal at all in the basement."],
    ),
    "weather": dict(
        things=["the weather", "the wind", "the forecast", "the rain", "the sky", "the storm",
                "the air", "the heat", "the fog", "the snow"],
        adjs=["cold", "warm", "terrible", "lovely", "unpredictable", "freezing", "humid",
              "unusually mild", "grey and damp", "perfect for a walk"],
        acts=[("check", "checks", "checked", ["the forecast", "the weather app", "the rain radar"]),
              ("expect", "expects", "expected", ["heavy rain", "a sunny afternoon", "a cold front", "snow"]),
              ("avoid", "avoids", "avoided", ["the storm", "the worst of the heat", "the icy roads"]),
              ("watch", "watches", "watched", ["the lightning", "the clouds roll in", "the sunset"]),
              ("forget", "forgets", "forgot", ["the umbrella", "a warm coat", "the sunscreen"])],
        facts=["It rained all afternoon.", "Global warming is real.",
               "Recently a lot of hurricanes have hit the coast.",
               "The forecast says it will clear up by Thursday.",
               "Summers here are getting hotter every year.",
               "A thick fog covered the valley until noon."],
    ),
    "age": dict(
        things=["my grandfather", "the oldest tree in the park", "our dog", "the house",
                "my little nephew", "the car", "the school building", "the bridge"],
        adjs=["old", "young", "ninety years old", "barely two", "older than it looks",
              "still very active", "getting on in years", "about forty"],
        acts=[("celebrate", "celebrates", "celebrated", ["a birthday", "the anniversary", "a fiftieth birthday"]),
              ("guess", "guesses", "guessed", ["my age", "the age of the building", "how old the tree was"]),
              ("remember", "remembers", "remembered", ["the old days", "the first car", "childhood summers"]),
              ("hide", "hides", "hid", ["the grey hair", "the real age", "a few wrinkles"])],
        facts=["How old are you?", "She turned thirty last month.",
               "My grandmother is ninety and still walks every day.",
               "Age is just a number, or so they say.",
               "The building is more than two hundred years old.",
               "He looks much younger than he is."],
    ),
    "travel": dict(
        things=["the flight", "the train", "the hotel", "the trip", "the airport", "the ferry",
                "the road trip", "the old town", "the museum", "the beach"],
        adjs=["delayed", "crowded", "wonderful", "exhausting", "cheap", "quiet", "beautiful",
              "far too long", "worth every penny", "easy to reach"],
        acts=[("book", "books", "booked", ["a cheap flight", "a room by the sea", "the night train", "two tickets"]),
              ("miss", "misses", "missed", ["the last bus", "the connecting flight", "the ferry"]),
              ("visit", "visits", "visited", ["the old castle", "Lisbon", "a small village", "the national park"]),
              ("pack", "packs", "packed", ["a small suitcase", "the passports", "too many shoes"]),
              ("explore", "explores", "explored", ["the harbour", "the narrow streets", "the mountains"])],
        facts=["The train to the coast takes about three hours.",
               "Our flight was delayed by two hours.",
               "Travelling by night train is slower but more relaxing.",
               "The hotel had a view over the whole bay.",
               "Passports must be valid for six months after the trip.",
               "We got lost twice on the way to the station."],
    ),
    "food": dict(
        things=["the soup", "dinner", "the bread", "the coffee", "this recipe", "the curry",
                "the salad", "the cake", "the restaurant", "breakfast"],
        adjs=["delicious", "too salty", "cold", "spicy", "fresh", "bland", "amazing",
              "better than last time", "a bit burnt", "cheap and filling"],
        acts=[("cook", "cooks", "cooked", ["pasta", "a vegetable curry", "dinner for six", "rice"]),
              ("bake", "bakes", "baked", ["a loaf of bread", "a chocolate cake", "some cookies"]),
              ("order", "orders", "ordered", ["a pizza", "two coffees", "the fish of the day", "dessert"]),
              ("taste", "tastes", "tasted", ["the sauce", "the new cheese", "the wine"]),
              ("buy", "buys", "bought", ["fresh vegetables", "a bag of apples", "olive oil", "some bread"])],
        facts=["I like my coffee strong and black.", "The bakery opens at six every morning.",
               "Fresh herbs make a huge difference to a simple soup.",
               "We had noodles for lunch again.",
               "This restaurant serves the best dumplings in town.",
               "Rice should rest for a few minutes after cooking."],
    ),
    "work": dict(
        things=["the meeting", "the project", "the deadline", "the new office", "my boss",
                "the report", "the contract", "the interview", "the budget", "the commute"],
        adjs=["stressful", "boring", "productive", "too long", "postponed", "urgent",
              "finally finished", "well organised", "behind schedule", "a complete mess"],
        acts=[("finish", "finishes", "finished", ["the report", "the presentation", "the quarterly review"]),
              ("schedule", "schedules", "scheduled", ["a meeting", "the interview", "a call with the client"]),
              ("sign", "signs", "signed", ["the contract", "the new lease", "the timesheet"]),
              ("hire", "hires", "hired", ["two new engineers", "a designer", "an accountant"]),
              ("discuss", "discusses", "discussed", ["the budget", "the plan for next year", "the new policy"])],
        facts=["The meeting ran over by an hour.", "I start a new job next month.",
               "Working from home saves me two hours a day.",
               "The deadline was moved to Friday.",
               "Our team doubled in size this year.",
               "Nobody read the report before the meeting."],
    ),
    "health": dict(
        things=["my back", "the doctor", "the flu", "my knee", "the new diet", "the clinic",
                "the cough", "the medicine", "my sleep", "the headache"],
        adjs=["sore", "better", "worse", "helpful", "painful", "gone", "much improved",
              "hard to treat", "not serious", "slowly healing"],
        acts=[("see", "sees", "saw", ["the doctor", "a physiotherapist", "the dentist"]),
              ("take", "takes", "took", ["the medicine", "a long rest", "some painkillers", "vitamins"]),
              ("skip", "skips", "skipped", ["breakfast", "the check-up", "the gym"]),
              ("catch", "catches", "caught", ["a cold", "the flu", "a stomach bug"]),
              ("drink", "drinks", "drank", ["more water", "herbal tea", "too much coffee"])],
        facts=["Sleep is more important than most people think.",
               "A short walk after dinner helps digestion.",
               "The flu season started early this year.",
               "My knee still hurts when I climb stairs.",
               "Regular exercise lowers blood pressure.",
               "The clinic is closed on public holidays."],
    ),
    "sport": dict(
        things=["the match", "the team", "the race", "the final", "the coach", "the stadium",
                "the season", "the referee", "the training", "the game"],
        adjs=["exciting", "disappointing", "close", "one-sided", "sold out", "intense",
              "a real thriller", "over too quickly", "cancelled", "long and tiring"],
        acts=[("win", "wins", "won", ["the final", "the league", "a gold medal", "the match"]),
              ("lose", "loses", "lost", ["the semi-final", "the game on penalties", "three matches in a row"]),
              ("watch", "watches", "watched", ["the race", "the cup final", "the tennis"]),
              ("run", "runs", "ran", ["a marathon", "ten kilometres", "around the lake"]),
              ("join", "joins", "joined", ["a football club", "the swimming team", "a cycling group"])],
        facts=["The match went to extra time.", "Our team has not won at home since March.",
               "She runs five kilometres before work.",
               "The stadium holds about sixty thousand people.",
               "Football is the most popular sport in the world.",
               "The referee missed an obvious foul."],
    ),
    "music": dict(
        things=["the concert", "the album", "the band", "the song", "the piano", "the guitar",
                "the festival", "the choir", "the new single", "the playlist"],
        adjs=["loud", "beautiful", "catchy", "out of tune", "unforgettable", "too short",
              "better live", "a little repetitive", "sold out", "strangely moving"],
        acts=[("play", "plays", "played", ["the piano", "the guitar", "a few old songs", "the drums"]),
              ("learn", "learns", "learned", ["the violin", "a new song", "to read music"]),
              ("hear", "hears", "heard", ["the new album", "a street musician", "the orchestra"]),
              ("sing", "sings", "sang", ["in a choir", "the national anthem", "a lullaby"]),
              ("download", "downloads", "downloaded", ["the album", "a playlist", "the sheet music"])],
        facts=["The concert was sold out within minutes.",
               "He has played the guitar since he was twelve.",
               "That song has been stuck in my head all day.",
               "The band is touring Europe this autumn.",
               "Music lessons can help children concentrate.",
               "The festival lasts three days and nights."],
    ),
    "science": dict(
        things=["the experiment", "the telescope", "the study", "the theory", "the data",
                "the sample", "the laboratory", "the vaccine", "the satellite", "the result"],
        adjs=["promising", "inconclusive", "surprising", "well designed", "controversial",
              "hard to reproduce", "groundbreaking", "flawed", "widely cited", "statistically significant"],
        acts=[("measure", "measures", "measured", ["the temperature", "the speed of sound", "the radiation levels"]),
              ("observe", "observes", "observed", ["a distant galaxy", "the eclipse", "the cells under a microscope"]),
              ("publish", "publishes", "published", ["the results", "a paper", "the full data set"]),
              ("test", "tests", "tested", ["the hypothesis", "a new material", "the vaccine"]),
              ("analyse", "analyses", "analysed", ["the samples", "the data", "the climate records"])],
        facts=["Water boils at a lower temperature at high altitude.",
               "Light from the Sun takes about eight minutes to reach Earth.",
               "The experiment had to be repeated three times.",
               "DNA carries the genetic instructions of living things.",
               "The telescope can see galaxies billions of light years away.",
               "Bees communicate by dancing."],
    ),
    "history": dict(
        things=["the empire", "the castle", "the war", "the old map", "the revolution",
                "the treaty", "the ancient city", "the manuscript", "the monument", "the king"],
        adjs=["ancient", "forgotten", "well preserved", "in ruins", "famous", "short-lived",
              "older than we thought", "badly damaged", "heavily disputed", "remarkably intact"],
        acts=[("study", "studies", "studied", ["medieval history", "the old letters", "the Roman roads"]),
              ("discover", "discovers", "discovered", ["a hidden tomb", "old coins", "a lost manuscript"]),
              ("rebuild", "rebuilds", "rebuilt", ["the cathedral", "the city walls", "the old bridge"]),
              ("read", "reads", "read", ["a biography of Napoleon", "the old diaries", "about the pyramids"])],
        facts=["The Roman Empire lasted for centuries.",
               "The castle was built in the twelfth century.",
               "The printing press changed how ideas spread.",
               "The Great Wall was built over many dynasties.",
               "Many old towns were rebuilt after the war.",
               "The treaty was signed in a small village."],
    ),
    "home": dict(
        things=["the kitchen", "the garden", "the roof", "the heating", "the washing machine",
                "the flat", "the rent", "the sofa", "the window", "the neighbourhood"],
        adjs=["small", "cosy", "noisy", "broken", "freshly painted", "too expensive",
              "full of light", "a bit damp", "finally fixed", "very quiet"],
        acts=[("clean", "cleans", "cleaned", ["the kitchen", "the windows", "the garage"]),
              ("paint", "paints", "painted", ["the bedroom", "the fence", "the front door"]),
              ("fix", "fixes", "fixed", ["the leaking tap", "the heating", "a broken shelf"]),
              ("water", "waters", "watered", ["the plants", "the tomatoes", "the lawn"]),
              ("move", "moves", "moved", ["the sofa", "to a bigger flat", "the piano upstairs"])],
        facts=["The rent went up again this year.", "Our garden gets sun all afternoon.",
               "The washing machine makes a terrible noise.",
               "We finally painted the living room.",
               "The heating broke in the middle of winter.",
               "The new flat is close to the station."],
    ),
    "money": dict(
        things=["the bill", "the price", "my salary", "the bank", "the loan", "the budget",
                "the tax return", "the savings account", "the insurance", "the rent"],
        adjs=["too high", "reasonable", "overdue", "confusing", "lower than expected",
              "paid in full", "surprisingly small", "frozen", "rising", "hard to understand"],
        acts=[("save", "saves", "saved", ["some money", "for a new car", "half the bonus"]),
              ("pay", "pays", "paid", ["the electricity bill", "the rent", "back the loan"]),
              ("spend", "spends", "spent", ["too much on clothes", "the whole budget", "a fortune on repairs"]),
              ("borrow", "borrows", "borrowed", ["some money", "a car", "twenty euros"])],
        facts=["Prices at the supermarket keep going up.",
               "The bank charges a fee for every transfer.",
               "I am saving for a trip to Japan.",
               "Interest rates rose three times this year.",
               "The insurance does not cover flood damage.",
               "Cash is becoming rare in some countries."],
    ),
    "computers": dict(
        things=["the laptop", "the printer", "the internet", "the website", "the password",
                "the server", "the keyboard", "the software", "the backup", "the network"],
        adjs=["down", "slow", "unreliable", "out of date", "hard to set up", "really fast",
              "full of bugs", "secure", "offline again", "working fine now"],
        acts=[("install", "installs", "installed", ["the update", "a new browser", "the printer driver"]),
              ("restart", "restarts", "restarted", ["the router", "the server", "the laptop"]),
              ("reset", "resets", "reset", ["the password", "the settings", "the network"]),
              ("back", "backs", "backed", ["up the photos", "up the whole disk", "up the project"])],
        facts=["Turning it off and on again fixed the problem.",
               "The printer never works when you need it.",
               "A strong password should be long and unique.",
               "The website was down for most of the morning.",
               "My laptop fan is louder than a hair dryer.",
               "Always keep a backup of important files."],
    ),
    "nature": dict(
        things=["the forest", "the river", "the lake", "the mountain", "the birds", "the trees",
                "the flowers", "the fox", "the meadow", "the coast"],
        adjs=["peaceful", "green", "wild", "frozen", "stunning", "polluted", "in full bloom",
              "covered in snow", "home to rare birds", "quieter than usual"],
        acts=[("hike", "hikes", "hiked", ["up the mountain", "through the forest", "along the coast"]),
              ("plant", "plants", "planted", ["an apple tree", "sunflowers", "a row of beans"]),
              ("spot", "spots", "spotted", ["a deer", "an eagle", "a family of ducks"]),
              ("photograph", "photographs", "photographed", ["the waterfall", "the wild flowers", "a rainbow"])],
        facts=["The river flooded the fields in spring.",
               "Owls hunt mostly at night.",
               "The forest is home to hundreds of species.",
               "Leaves change colour when the days get shorter.",
               "The lake freezes over almost every winter.",
               "Bees are essential for pollinating crops."],
    ),
    "school": dict(
        things=["the exam", "the lesson", "the homework", "the teacher", "the library",
                "the course", "the essay", "the timetable", "the lecture", "the school trip"],
        adjs=["difficult", "easy", "interesting", "boring", "due tomorrow", "well taught",
              "harder than expected", "cancelled", "fun", "very long"],
        acts=[("pass", "passes", "passed", ["the exam", "the driving test", "the final course"]),
              ("write", "writes", "wrote", ["an essay", "the lab report", "a short story"]),
              ("study", "studies", "studied", ["maths", "French", "for the exams", "biology"]),
              ("teach", "teaches", "taught", ["history", "a class of thirty", "evening classes"])],
        facts=["The exam results come out in August.",
               "The library stays open late during exam season.",
               "Learning a language takes patience.",
               "Our teacher gave us no homework this week.",
               "The lecture was moved to a bigger hall.",
               "Children learn best when they are curious."],
    ),
}
TOPIC_NAMES = sorted(TOPICS)

RELATIVES = [
    "which surprised everyone", "which nobody expected", "which took most of the day",
    "which was a relief", "which cost more than planned", "which I still regret",
    "which made the evening much better", "which turned out to be a good idea",
]

REASONS = [
    "it was raining", "we were short of time", "the shop was closed", "nobody else could",
    "it seemed like the right thing to do", "the price had dropped", "there was no other option",
    "everyone else was busy", "it was a special occasion", "the old one had stopped working",
]


class Gen:
    def __init__(self, seed):
        self.r = random.Random(seed)

    def pick(self, xs):
        return self.r.choice(xs)

    def person(self):
        return self.pick(PEOPLE)

    def topic(self):
        return TOPICS[self.pick(TOPIC_NAMES)]

    # -- clauses (no capital, no final punctuation) --
    def clause(self, t=None):
        t = t or self.topic()
        r = self.r.random()
        if r < 0.45:
            who, num = self.person()
            base, third, past, objs = self.pick(t["acts"])
            obj = self.pick(objs)
            form = self.r.random()
            if form < 0.55:
                s = f"{who} {past} {obj}"
                if self.r.random() < 0.5:
                    s += " " + self.pick(TIMES)
            elif form < 0.8:
                verb = third if num == "S" else base
                s = f"{who} {verb} {obj}"
                if self.r.random() < 0.3:
                    s += " " + self.pick(["every day", "now and then", "most weekends", "as often as possible", "again"])
            else:
                modal = self.pick(["will", "should", "might", "could", "can't", "would like to", "wants to" if num == "S" else "want to"])
                s = f"{who} {modal} {base} {obj}"
            return s
        if r < 0.8:
            thing = self.pick(t["things"])
            be = self.pick(["is", "was", "seems", "looked", "has been", "felt", "is still", "was never"])
            return f"{thing} {be} {self.pick(t['adjs'])}"
        # A fact as a clause: statements only, first letter lowered unless it must stay.
        fact = self.pick([f for f in t["facts"] if f.endswith(".") and not f.startswith("Always")])
        return fact[:-1] if fact.startswith(("I ", "DNA")) else fact[0].lower() + fact[1:-1]

    def sentence(self, t=None):
        t = t or self.topic()
        r = self.r.random()
        if r < 0.18:
            return self.pick(t["facts"])
        c = self.clause(t)
        if r < 0.35:
            s = c
        elif r < 0.47:
            s = f"{c} because {self.pick(REASONS)}"
        elif r < 0.58:
            s = f"{c}, but {self.clause(t)}"
        elif r < 0.66:
            s = f"{c}, {self.pick(RELATIVES)}"
        elif r < 0.75:
            s = f"{self.pick(OPINIONS)} {c}"
        elif r < 0.82:
            s = f"{c} and {self.clause(t)}"
        elif r < 0.88:
            s = f"when {c}, {self.clause(t)}"
        elif r < 0.94:
            s = f"{self.pick(TIMES)}, {c}"
        else:
            who, num = self.person()
            base, _, _, objs = self.pick(t["acts"])
            aux = "Do" if num == "P" or who in ("I", "you") else "Does"
            q = self.pick([
                f"why did {who} {base} {self.pick(objs)}",
                f"{aux.lower()} {who} {base} {self.pick(objs)} often",
                f"is {self.pick(t['things'])} really {self.pick(t['adjs'])}",
                f"when will {who} {base} {self.pick(objs)}",
            ])
            return fix(q) + "?"
        end = "!" if self.r.random() < 0.04 else "."
        return fix(s) + end

    def fragment(self, n):
        """A line of exactly n words, n in 1..3."""
        t = self.topic()
        if n == 1:
            if self.r.random() < 0.6:
                return self.pick(INTERJECTIONS)
            word = self.pick(t["things"]).split()[-1]
            return word.capitalize() + self.pick([".", "?", "!"])
        for _ in range(50):
            cand = self.pick([
                lambda: self.pick(t["things"]).capitalize() + self.pick([".", "?"]),
                lambda: f"{self.pick(t['adjs'])} {self.pick(t['things']).split()[-1]}".capitalize() + ".",
                lambda: f"{self.pick(t['acts'])[0]} {self.pick(self.pick(t['acts'])[3])}".capitalize() + ".",
                lambda: self.pick(["Really ", "So ", "Very ", "Not "]) + self.pick(t["adjs"]) + ".",
                lambda: f"{self.pick(INTERJECTIONS)[:-1]}, {self.pick(['thanks', 'friend', 'really', 'everyone', 'again'])}.",
            ])()
            if len(cand.split()) == n:
                return cand
        return " ".join(["Okay."] * n)

    def sentence_of(self, lo, hi, t=None):
        """A sentence of lo..hi words, else the closest of 200 tries."""
        best, dist = None, None
        for _ in range(200):
            s = self.sentence(t)
            n = len(s.split())
            if lo <= n <= hi:
                return s
            d = lo - n if n < lo else n - hi
            if dist is None or d < dist:
                best, dist = s, d
        return best

    def passage(self, target):
        """Sentences on one topic (sometimes drifting to another) until close to target words."""
        t = self.topic()
        out, n = [], 0
        while n < target:
            left = target - n
            if left <= 3:
                if n == 0:
                    out.append(self.fragment(left))
                    n += left
                break
            if self.r.random() < 0.08:
                t = self.topic()
            if left > 20:
                s = self.sentence(t)
            else:
                s = self.sentence_of(max(4, left - 3), left + 2, t) if left >= 6 else self.sentence_of(4, 6, t)
            if out and self.r.random() < 0.25:
                c = self.pick(CONNECTORS)
                s = f"{c} {s[0].lower() + s[1:] if not s.startswith('I ') else s}"
            out.append(s)
            n += len(s.split())
        line = " ".join(out)
        words = line.split()
        if len(words) > 300:  # cut at the last sentence end within 300 words
            cut = max(i for i, w in enumerate(words[:300]) if w[-1] in ".!?")
            line = " ".join(words[: cut + 1])
        return line


def fix(s):
    s = s.strip()
    return s[0].upper() + s[1:]


def mixed_lengths(r, n):
    """Target word counts: many short lines, a fair number of 20-80, some of 150-300."""
    bands = [  # (share, lo, hi), log-uniform within each band
        (0.08, 1, 3), (0.32, 4, 12), (0.20, 13, 25), (0.24, 26, 80), (0.09, 81, 150), (0.07, 151, 300),
    ]
    out = []
    for share, lo, hi in bands:
        k = round(share * n)
        for _ in range(k):
            out.append(round(lo * (hi / lo) ** r.random()))
    out = out[:n] + [10] * (n - len(out))
    # Both extremes are present for sure.
    out[0], out[1] = 1, 300
    r.shuffle(out)
    return out


def check(lines, n):
    assert len(lines) == n, len(lines)
    for l in lines:
        assert l and l == l.strip() and "\t" not in l and "\n" not in l, repr(l)
        assert not l.startswith("#") and l.isascii(), repr(l)


def write(path, lines):
    path.write_text("\n".join(lines) + "\n", encoding="ascii")


def unique(gen, make, seen, tries=50):
    for _ in range(tries):
        s = make()
        if s not in seen:
            seen.add(s)
            return s
    return s  # very short lines may repeat; that is fine


def histogram(lines, edges=(1, 2, 4, 6, 11, 21, 41, 81, 151, 301)):
    counts = Counter()
    ws = sorted(len(l.split()) for l in lines)
    for l in lines:
        w = len(l.split())
        for lo, hi in zip(edges, edges[1:]):
            if lo <= w < hi:
                counts[(lo, hi - 1)] += 1
    rows = [f"  {lo:>3}-{hi:<3} words: {counts[(lo, hi)]:>5}" for lo, hi in zip(edges, [e - 1 for e in edges[1:]])
            if hi >= ws[0] and lo <= ws[-1]]
    rows.append(f"  min {ws[0]}, median {ws[len(ws) // 2]}, mean {sum(ws) / len(ws):.1f}, max {ws[-1]}, total {sum(ws)} words")
    return "\n".join(rows)


def main():
    gen = Gen(SEED)
    seen = set()
    mixed = []
    for target in mixed_lengths(random.Random(SEED + 1), 2000):
        if target <= 3:
            mixed.append(unique(gen, lambda: gen.fragment(target), seen))
        elif target <= 16 and gen.r.random() < 0.7:
            lo = max(4, target - 2)
            mixed.append(unique(gen, lambda: gen.sentence_of(lo, max(lo, target + 2)), seen))
        else:
            mixed.append(unique(gen, lambda: gen.passage(target), seen))
    check(mixed, 2000)

    gen = Gen(SEED + 2)
    seen = set()
    short = [unique(gen, lambda: gen.sentence_of(4, 20), seen) for _ in range(1000)]
    check(short, 1000)

    write(HERE / "mixed_2000.txt", mixed)
    write(HERE / "short_1000.txt", short)
    for name, lines in (("mixed_2000.txt", mixed), ("short_1000.txt", short)):
        print(f"{name}: {len(lines)} lines")
        print(histogram(lines))


if __name__ == "__main__":
    sys.exit(main())
